"""Errors of the kb_index package; the CLI and the HTTP service translate them once at their edge."""


class KbError(Exception):
    """Base class of every knowledge-base error."""


class ArticleFormatError(KbError):
    """An article file does not follow the documented format."""


class IndexMissingError(KbError):
    """No index has been built in the given folder."""


class EncoderMismatchError(KbError):
    """The index was built with another encoder than the one configured."""


class UnknownEncoderError(KbError):
    """The configured encoder name is not known."""
