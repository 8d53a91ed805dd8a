"""The conversation runner's own measures (the conversations themselves run in tests/e2e)."""

from helpdesk.evaluation.conversations import Result, load_set, longest_copied_run


def test_a_copied_run_counts_consecutive_words_of_a_user_message_but_not_an_error_code():
    user = ["ik krijg sinds gisteren geen mails meer binnen in outlook op mijn laptop"]
    assert longest_copied_run("Outlook op je laptop ontvangt geen nieuwe e-mail", user) == 2   # "outlook op"
    assert longest_copied_run("ik krijg sinds gisteren geen mails meer", user) == 7
    assert longest_copied_run("foutcode 0x800CCC0E FAILED TO SYNC NOW", ["0x800CCC0E FAILED TO SYNC NOW"],
                              keep=["0x800CCC0E FAILED TO SYNC NOW"]) == 0


def test_the_dev_set_loads_with_its_language_and_an_outcome_is_judged():
    conversations = load_set("dev", ["nl", "fr", "en"])
    assert len(conversations) == 60 and {c["language"] for c in conversations} == {"nl", "fr", "en"}
    solved = Result({"language": "nl", "outcome": "self_service"}, resolution="self_service")
    assert solved.outcome_reached()
    assert not Result({"language": "nl", "outcome": "ticket"}).outcome_reached()
