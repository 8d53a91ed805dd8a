"""Masking of secrets (always) and personal data (when the settings say so) in stored text.

Secrets: passwords, passphrases, PINs and one-time codes, API keys and tokens. Two kinds of rules:
- shapes that are secrets in any language (JWTs, ``Bearer ...``, ``sk-live-...``, ``ghp_...``,
  ``glpat-...``, BitLocker recovery keys, ``name=value`` where the name says password/secret/token,
  ``login: user / password``);
- rules around label words, which are per-language data (``core/privacy.yml``): the value after
  "password is" / "wachtwoord:" / "mot de passe est" (a passphrase up to the end of the clause, unless
  it describes the password: "is expired"), password-shaped tokens and quoted text in a message that
  names a password, and the digits after "PIN" / "SMS code" / "code PUK".
Personal data (``mask(text, personal_data=True)``): e-mail addresses, phone numbers (Google's
``phonenumbers``, numbers written with a leading 0, 00 or +), IBANs and Belgian national register
numbers (``python-stdnum`` checks the checksum, so error codes and typos stay). Those two libraries
are imported only when personal data is masked (this module also runs in Rasa's environment).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

MASK = "[hidden]"
DATA_FILE = Path(__file__).with_name("privacy.yml")
PHONE_REGIONS = ("BE", "NL", "FR")   # how national numbers (0...) are read; +/00 numbers are read anywhere
_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")

# ---- shapes that are secrets whatever the language
_SHAPES = [
    re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"),                         # JWT
    re.compile(r"(?i)(?<=\bbearer )\s*[\w.~+/=-]{16,}"),                         # Authorization: Bearer ...
    re.compile(r"\b(?:sk|pk|rk)[-_](?:live|test)[-_][A-Za-z0-9]{10,}"),           # Stripe-style keys
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"),        # GitHub tokens
    re.compile(r"\bglpat-[A-Za-z0-9_-]{16,}"),                                   # GitLab tokens
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),                                # Slack tokens
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),                                         # AWS access key ids
    re.compile(r"\b\d{6}(?:-\d{6}){7}\b"),                                       # BitLocker recovery key
]
# name=value / name: value where the name says what it is (client_secret=..., api_token: ...)
_NAMED = re.compile(r"(?i)\b[\w-]*(?:secret|passw\w*|pwd|token|api[_-]?key|apikey)\s*[=]\s*(\S+)")
# "login: jdoe / S3cur3!Pass", "user jdoe / pass"
_LOGIN_PAIR = re.compile(r"(?i)\b(?:login|user(?:name)?|identifiant|gebruiker(?:snaam)?)\s*:?\s*[\w.@-]+\s*/\s*(\S+)")
_QUOTED = re.compile(r"\"([^\"\n]{1,100})\"|“([^”\n]{1,100})”|«\s*([^»\n]{1,100}?)\s*»|'([^'\n]{3,100})'(?!\w)")
_TOKEN = re.compile(r"\S+")
_CLAUSE_END = re.compile(r"[,;.!?](?:\s|$)|\s+(?:but|maar|mais|and|en|et)\s+", re.IGNORECASE)


def _words(items: Iterable[str]) -> str:
    """Alternation of words/phrases, longest first, spaces matching any whitespace."""
    parts = sorted({str(i).lower() for i in items}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)


@lru_cache(maxsize=1)
def _rules():
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")) or {}
    merged: dict[str, set[str]] = {}
    for lang in data.values():
        for key, words in (lang or {}).items():
            merged.setdefault(key, set()).update(str(w).lower() for w in words or [])
    pw, code = _words(merged["password_labels"]), _words(merged["code_labels"])
    copula = _words(merged["copulas"])
    filler = _words(merged["fillers"])
    return {
        "password_label": re.compile(rf"(?<![\w-])(?:{pw})(?![\w-])", re.IGNORECASE),
        # label [words up to 4] copula|: [filler]  -> where the value starts
        "password_value": re.compile(
            rf"(?<![\w-])(?:{pw})(?![\w-])(?:\s+[^\s:=,.;!?]+){{0,4}}?(?:\s*[:=]\s*|\s+(?:{copula})\s+(?:(?:{filler})\s+)?)",
            re.IGNORECASE),
        "code_label": re.compile(rf"(?<![\w-])(?:{code})(?![\w-])", re.IGNORECASE),
        "state": {w for w in merged["state_words"]},
        "error": re.compile(rf"(?<![\w-])(?:{_words(merged['error_words'])})(?![\w-])", re.IGNORECASE),
    }


def _password_shaped(token: str) -> bool:
    core = token.strip("\"'«»“”()[]<>")
    core = re.sub(r"[,.;:?]+$", "", core)
    if len(core) < 6 or "://" in core or "@" in core:
        return False
    return bool(re.search(r"[^\W\d_]", core)) and bool(re.search(r"\d", core))


def _spans(text: str) -> list[tuple[int, int]]:
    rules = _rules()
    spans: list[tuple[int, int]] = []
    for shape in _SHAPES:
        spans += [m.span() for m in shape.finditer(text)]
    for rule in (_NAMED, _LOGIN_PAIR):
        spans += [m.span(1) for m in rule.finditer(text)]

    labels = list(rules["password_label"].finditer(text))
    if labels:
        for quoted in _QUOTED.finditer(text):             # a quoted text in a message about a password
            group = next(i for i in range(1, 5) if quoted.group(i) is not None)
            spans.append(quoted.span(group))
        first = labels[0].end()
        for token in _TOKEN.finditer(text, first):          # password-shaped tokens after the label
            if _password_shaped(token.group()):
                spans.append(token.span())
        for value in rules["password_value"].finditer(text):
            spans += _value_after(text, value.end(), rules["state"])

    for label in rules["code_label"].finditer(text):
        before = text[max(0, label.start() - 20):label.start()]
        after = text[label.end():label.end() + 20]
        if rules["error"].search(before.split()[-1] if before.split() else "") or \
                rules["error"].match(after.strip()):
            continue
        sentence = re.split(r"[.!?](?:\s|$)|\n", text[label.end():label.end() + 80])[0]
        digits = re.search(r"(?<![\w.,/-])(?:\d{3}[ -]\d{3}|\d{4,8})(?![\w/-]|[.,]\d)", sentence)
        if digits:
            spans.append((label.end() + digits.start(), label.end() + digits.end()))
    return spans


def _value_after(text: str, start: int, state_words: set[str]) -> list[tuple[int, int]]:
    """The value that starts at ``start``: one password-shaped token, or a passphrase to the end of
    the clause; nothing when its first words describe the password ("is expired", "is too short")."""
    rest = text[start:]
    first = _TOKEN.match(rest)
    if not first:
        return []
    if rest[:1] in "\"'«“":
        return []                                          # quoted: the quote rule has it
    if _password_shaped(first.group()):
        return [(start, start + first.end())]
    words = [w.strip(",.;!?:").lower() for w in rest.split()[:2]]
    if not words or any(w in state_words for w in words):
        return []
    end = _CLAUSE_END.search(rest)
    stop = end.start() if end else len(rest)
    return [(start, start + stop)] if stop > 0 else []


def _apply(text: str, spans: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for s, e in sorted(x for x in spans if x[1] > x[0]):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, last = [], 0
    for s, e in merged:
        out += [text[last:s], MASK]
        last = e
    out.append(text[last:])
    return "".join(out)


def contains_secret(text: str) -> bool:
    return bool(_spans(text or ""))


def mask_secrets(text: str) -> str:
    """Replace passwords, codes, keys and tokens with a mask; everything else stays as it was."""
    text = text or ""
    return _apply(text, _spans(text))


# ---- personal data
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_NATIONAL_NUMBER = re.compile(r"(?<![\w.-])\d{2}\.?\d{2}\.?\d{2}[-.]?\d{3}\.?\d{2}(?![\w-]|[.,]\d)")


def _personal_spans(text: str) -> list[tuple[int, int]]:
    import phonenumbers
    from stdnum import iban
    from stdnum.be import nn

    spans = [m.span() for m in _EMAIL.finditer(text)]
    for m in _IBAN.finditer(text):
        candidate = m.group()
        # the longest prefix that is a valid IBAN (the regex may take a following word)
        for end in range(len(candidate), 14, -1):
            if iban.is_valid(candidate[:end]):
                spans.append((m.start(), m.start() + len(candidate[:end].rstrip())))
                break
    spans += [m.span() for m in _NATIONAL_NUMBER.finditer(text) if nn.is_valid(m.group())]
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if match.raw_string.lstrip("(").startswith(("+", "0")) and not _DATE.match(match.raw_string):
                spans.append((match.start, match.end))
    return spans


def mask_personal_data(text: str) -> str:
    text = text or ""
    return _apply(text, _personal_spans(text))


def mask(text: str, personal_data: bool = False) -> str:
    text = text or ""
    spans = _spans(text) + (_personal_spans(text) if personal_data else [])
    return _apply(text, spans)
