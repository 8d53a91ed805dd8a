import pytest

from core.chat_session import InvalidSession, issue, verify
from core.rate_limit import RateLimiter
from core.settings import SecretFileError, read_or_create_secret

SECRET = "s" * 32


def test_a_session_verifies_and_names_its_user():
    session = issue(SECRET, now=1000)
    assert verify(SECRET, session.token, now=1001).user_id == session.user_id
    assert issue(SECRET, session.user_id, now=2000).user_id == session.user_id     # renewal keeps the user


@pytest.mark.parametrize("tamper", [
    lambda t: t.replace(t.split(".")[0], "u-" + "A" * 22),    # another user id, same signature
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: "",
    lambda t: "a.b.c",
    lambda t: None,
    lambda t: t + "." * 300,
])
def test_forged_or_malformed_tokens_are_refused(tamper):
    token = issue(SECRET, now=1000).token
    with pytest.raises(InvalidSession):
        verify(SECRET, tamper(token), now=1001)


def test_expired_and_other_secret_are_refused():
    session = issue(SECRET, lifetime_seconds=10, now=1000)
    with pytest.raises(InvalidSession, match="expired"):
        verify(SECRET, session.token, now=1011)
    with pytest.raises(InvalidSession, match="forged"):
        verify("t" * 32, session.token, now=1001)


def test_token_bucket_refuses_over_the_rate_and_refills():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")                       # per key
    assert limiter.retry_after("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.allow("a") and not limiter.allow("a")


def test_secret_files_are_private_and_empty_or_short_ones_refused(tmp_path):
    path = tmp_path / "data" / "api_token"
    token = read_or_create_secret(path)
    assert len(token) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert read_or_create_secret(path) == token
    for bad in ["", "\n", "short", "changeme"]:
        path.write_text(bad)
        with pytest.raises(SecretFileError):
            read_or_create_secret(path)


def test_an_identified_session_carries_its_signed_identity_and_a_stable_user_id():
    secret = "s" * 32
    session = issue(secret, identity={"email": "An.Peeters@example.org", "name": "An Peeters", "role": "x"})
    checked = verify(secret, session.token)
    assert checked.identity() == {"email": "An.Peeters@example.org", "name": "An Peeters"}   # only e-mail and name
    assert checked.user_id == issue(secret, identity={"email": "an.peeters@example.org"}).user_id   # same person
    assert checked.user_id != issue("t" * 32, identity={"email": "an.peeters@example.org"}).user_id
    user, expires, claims, signature = session.token.split(".")
    other = issue(secret, identity={"email": "mallory@example.org"}).token.split(".")[2]
    with pytest.raises(InvalidSession, match="forged"):
        verify(secret, ".".join([user, expires, other, signature]))          # claims swapped under the signature
    with pytest.raises(InvalidSession):
        issue(secret, identity={"name": "no address"})
    assert verify(secret, issue(secret).token).identity() == {}              # an anonymous session has none
