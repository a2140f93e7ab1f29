"""What a password must be: long enough, and not guessable from common passwords or the user's name.

Length alone let `aaaaaaaaaa` and a password equal to the user name through. The strength test is
zxcvbn (Dropbox's estimator: dictionaries of common passwords, names and words, keyboard patterns,
repeats, sequences, dates, l33t): a password must need at least 10^8 guesses (its score 3, "safely
unguessable: moderate protection from offline slow-hash scenario" — and the hashes are Argon2id).
zxcvbn's dictionaries are English, so the Danish words people build passwords from, the user's
name, organisation and the installation's own words are added as known words.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from boligsocial.common.errors import ConfigError
from boligsocial.common.words import both

MIN_LENGTH = 12
MIN_SCORE = 3
#: Danish words common in passwords (seasons, greetings, places, football, "password" itself):
#: zxcvbn's own lists are English and would rate "Velkommen123" as strong.
DANISH_WORDS = (
    "adgangskode",
    "kodeord",
    "password",
    "velkommen",
    "hemmelig",
    "sommer",
    "vinter",
    "foraar",
    "forår",
    "efteraar",
    "efterår",
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
    "mandag",
    "fredag",
    "jul",
    "julemand",
    "danmark",
    "dansk",
    "kommune",
    "kommunen",
    "borger",
    "bolig",
    "boligsocial",
    "fodbold",
    "kage",
    "hund",
    "kat",
    "hest",
    "kærlighed",
    "elskede",
    "skat",
    "mor",
    "far",
    "familie",
    "hygge",
    "københavn",
    "kobenhavn",
    "aarhus",
    "århus",
    "odense",
    "aalborg",
    "vejle",
    "esbjerg",
    "randers",
    "kolding",
    "horsens",
    "helsingør",
    "roskilde",
    "herning",
    "silkeborg",
    "næstved",
    "fjordby",
    "brøndby",
    "fck",
    "agf",
    "qwertyuiopå",
    "æøå",
)


def check_password(password: str, username: str, *known: str | None) -> None:
    """Raise `ConfigError` (Danish and English, with what to do) for a password not allowed."""
    if len(password) < MIN_LENGTH:
        raise ConfigError(both("system.password_short", min=MIN_LENGTH))
    if username and username.lower() in password.lower():
        raise ConfigError(both("system.password_username"))
    words = [username, *(k for k in known if k), *DANISH_WORDS]
    result = zxcvbn(password[:100], user_inputs=words)  # zxcvbn is slow on very long input
    if result["score"] < MIN_SCORE:
        hint = " ".join(result["feedback"].get("suggestions") or [])
        raise ConfigError(both("system.password_weak") + (f" ({hint})" if hint else ""))
