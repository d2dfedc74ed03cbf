"""The one form in which a person's name, email, phone and address are stored, and their search key.

Plain Python, no database. Every path that writes a person (the people actions, the import's
bulk writes, the data migration) goes through these functions, so that one person typed on the
web, given on the command line or read from a file is written the same way and found the same way.

- Text (names, addresses): Unicode NFC, zero-width, control and blank characters (Hangul
  fillers, the blank Braille pattern) and combining marks that follow no letter removed, runs of
  whitespace collapsed to one space (an address keeps its line breaks, each line collapsed).
- Email: trimmed and lowercased (emails are matched case-insensitively).
- Phone: parsed with the organization's default region and stored in E.164 (a number with a
  letter in it, an extension say, is refused rather than stored without it). One validity rule
  whatever the formatting: the number has a possible length for its country
  (`phonenumbers.is_possible_number_with_reason` is `IS_POSSIBLE`). Full validity
  (`is_valid_number`) would refuse the Ofcom drama range (+44 7700 900xxx) the demo uses.
- Search key: the name decomposed (NFKD) with combining marks removed, then casefolded (and the
  marks casefolding brings removed again: `ᾀ` casefolds to `ἀι`, so its marks go first and it
  is `α` like `Α`), letters with a stroke read as the plain letter (`Łukasz` is `lukasz`, `Øster`
  `oster`), apostrophe variants folded to `'`, so `ИВАНОВ`, `jose` and `d'arcy` find
  `Иванов`, `José` (composed or decomposed) and `D’Arcy`. A second key reads the name from its last word (`family_key`).
  Search is a prefix match on either key or on the email: a name is found from its start, from
  its family name, or by its email, each one range of an index on SQLite and PostgreSQL alike
  (see `selectors.search_people`). A middle word alone is not searched: that would read every row.
"""

from __future__ import annotations

import re
import unicodedata

from grassroots.errors import ActionRefused

# Zero-width and format characters (Cf) and controls (Cc) other than the line breaks an address keeps.
_SPACE = re.compile(r"[^\S\n]+")
# Apostrophe variants fold to ', and the dotless ı to i (its capital is I, which folds to i).
_APOSTROPHES = str.maketrans(
    {c: "'" for c in "\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032\uff07"} | {"\u0131": "i"}
)
# Letters that carry their mark inside them (a stroke, a ligature) and so do not decompose: the
# plain letters people type for them, after casefolding (ŀ decomposes to l and a middle dot).
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i", "ʉ": "u"}
    | {"æ": "ae", "œ": "oe", "þ": "th", "\u00b7": ""}
)
SEARCH_KEY_LENGTH = 200


# Characters that are letters or symbols to Unicode but show nothing (Hangul fillers, the blank
# Braille pattern): a name made of them looks empty.
_BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0")


def _shown(char: str, before: list[str]) -> bool:
    """Whether a character shows: not a control, format or blank character, nor a combining mark
    that follows no letter (`before`: the characters kept so far)."""
    if unicodedata.category(char) in ("Cc", "Cf") or char in _BLANKS:
        return False
    return not (unicodedata.combining(char) and (not before or before[-1].isspace()))


def _visible(value: str, *, keep_newlines: bool = False) -> str:
    """NFC text without control, zero-width or blank characters (tabs become spaces), and without a
    combining mark that follows no letter (at the start, or after a space)."""
    value = unicodedata.normalize("NFC", value)
    kept: list[str] = []
    for char in value:
        if char in "\t\r\v\f\x85\u2028\u2029":
            kept.append("\n" if keep_newlines and char in "\r\x85\u2028\u2029" else " ")
        elif char == "\n":
            kept.append("\n" if keep_newlines else " ")
        elif not _shown(char, kept):
            continue
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))  # a mark may now follow a letter it composes with


def normal_text(value: str) -> str:
    """One line of text (a name): NFC, no invisible characters, whitespace collapsed and trimmed."""
    if value.isascii() and value.isprintable():  # most values, quickly: only spaces to collapse
        return " ".join(value.split())
    return _SPACE.sub(" ", _visible(value)).strip()


def normal_address(value: str) -> str:
    """An address: each line as `normal_text`, empty lines dropped, lines joined by newlines."""
    lines = (_SPACE.sub(" ", line).strip() for line in _visible(value, keep_newlines=True).split("\n"))
    return "\n".join(line for line in lines if line)


def normal_email(value: str) -> str:
    """An email as stored and matched: trimmed, without invisible characters, lowercased."""
    return normal_text(value).replace(" ", "").lower()


def is_email(value: str) -> bool:
    """Whether a (normalized) email is an address, by Django's rule (the forms' and the API's)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


_E164 = re.compile(r"\+([1-9][0-9]{6,14})")
_COUNTRY_RULES: dict[str, tuple[frozenset[int], re.Pattern | None] | None] = {}


def _country_rules(digits: str) -> tuple[int, frozenset[int], re.Pattern | None] | None:
    """The country calling code that begins `digits`, the possible lengths of its national numbers
    and the national prefix its parser strips (phonenumbers' metadata)."""
    for size in (1, 2, 3):
        code = digits[:size]
        if code not in _COUNTRY_RULES:
            import phonenumbers
            from phonenumbers.phonemetadata import PhoneMetadata

            region = phonenumbers.region_code_for_country_code(int(code))
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(int(code), region)
            prefix = metadata.national_prefix_for_parsing or metadata.national_prefix if metadata else None
            _COUNTRY_RULES[code] = (
                (frozenset(metadata.general_desc.possible_length), re.compile(prefix) if prefix else None)
                if metadata
                else None
            )
        rules = _COUNTRY_RULES[code]
        if rules is not None:
            return size, *rules
    return None


# A number written nationally: digits with spaces or hyphens between them.
_NATIONAL = re.compile(r"[0-9][0-9 -]{2,30}[0-9]")
_NATIONAL_RULES: dict[str, tuple[str, re.Pattern, re.Pattern | None, re.Pattern, frozenset[int]] | None] = {}


def _national_rules(region: str) -> tuple[str, re.Pattern, re.Pattern | None, re.Pattern, frozenset[int]] | None:
    """What the parser does with a number written nationally in `region` (phonenumbers' metadata),
    for the regions where that is plain: the region is its calling code's main one, its national
    prefix is stripped without a rewrite or a carrier code. None for the others."""
    if region not in _NATIONAL_RULES:
        import phonenumbers
        from phonenumbers.phonemetadata import PhoneMetadata

        metadata = PhoneMetadata.metadata_for_region(region)
        rules = None
        if (
            metadata is not None
            and metadata.national_prefix_for_parsing
            and not metadata.national_prefix_transform_rule
            and phonenumbers.region_code_for_country_code(metadata.country_code) == region
        ):
            prefix = re.compile(metadata.national_prefix_for_parsing)
            general = metadata.general_desc
            if not prefix.groups and general is not None and general.national_number_pattern:
                rules = (
                    str(metadata.country_code),
                    prefix,
                    re.compile(metadata.international_prefix) if metadata.international_prefix else None,
                    re.compile(general.national_number_pattern),
                    frozenset(general.possible_length) - frozenset(general.possible_length_local_only or ()),
                )
        _NATIONAL_RULES[region] = rules
    return _NATIONAL_RULES[region]


def _national_e164(text: str, region: str) -> str | None:
    """The E.164 form the parser gives a number written nationally (`07400 123456` in GB), when
    it is plainly one: its national prefix stripped, a national number of a possible length that
    fits the region's pattern; None when the parser must decide (anything else)."""
    rules = _national_rules(region) if _NATIONAL.fullmatch(text) else None
    if rules is None:
        return None
    code, prefix, international, pattern, lengths = rules
    digits = text.replace(" ", "").replace("-", "")
    if digits.startswith(code) or (international is not None and international.match(digits)):
        return None  # the parser may read a calling code in it
    found = prefix.match(digits)
    if found is None:
        return None
    national = digits[found.end() :]
    if national[:1] in ("", "0") or len(national) not in lengths or not pattern.fullmatch(national):
        return None
    return f"+{code}{national}"


def phone_e164(value: str, region: str) -> str | None:
    """The number in E.164 read with the organization's region, or None when it is not a phone number
    (see the module for the rule). An empty value is "" (no phone).

    A value already in E.164 is checked against the same rule without parsing it (imports read
    millions) when its national part has a possible length for its country calling code; so is a
    plain national number (digits, spaces, hyphens: `07400 123456`) of a region whose national
    prefix the parser simply strips (`_national_e164`, which answers only where the parser would
    give the same number); any other value goes through the parser."""
    text = value.strip()
    match = _E164.fullmatch(text)  # a plus and digits: no letter in it
    if match is None:
        if any(char.isalpha() for char in text):  # an extension, a letter typed for a digit: not kept silently
            return None
        text = normal_text(value)
        if not text:
            return ""
        match = _E164.fullmatch(text)
    rules = _country_rules(match.group(1)) if match else None
    if rules is not None:
        size, lengths, national_prefix = rules
        national = match.group(1)[size:]
        if len(national) in lengths and not (national_prefix and national_prefix.match(national)):
            return text
    region = (region or "GB").upper()
    if match is None and (national := _national_e164(text, region)) is not None:
        return national
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_phone(value: str, region: str, *, field: str = "phone") -> str:
    """The number in E.164, or refused naming the field when it is not a phone number."""
    number = phone_e164(value, region)
    if number is None:
        shown = normal_text(value)[:40]
        raise ActionRefused(f"{field}: '{shown}' is not a phone number for {(region or 'GB').upper()}", field=field)
    return number


_PHONE_REASONS = {
    "TOO_SHORT": "too short",
    "TOO_LONG": "too long",
    "INVALID_LENGTH": "not a possible length",
    "INVALID_COUNTRY_CODE": "no country has its calling code",
}


def why_not_phone(value: str, region: str) -> str:
    """Why `value` is no phone number under `phone_e164`'s rule, in a few words for the user
    (`has letters in it`, `too short for GB`, `not a number`). Only for a value it refused."""
    region = (region or "GB").upper()
    text = normal_text(value)
    if any(char.isalpha() for char in text):
        return "it has letters in it: an extension or a note is not kept in a phone"
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return f"it is not a phone number (read for {region})"
    reason = phonenumbers.is_possible_number_with_reason(number)
    names = {getattr(phonenumbers.ValidationResult, name): words for name, words in _PHONE_REASONS.items()}
    country = phonenumbers.region_code_for_country_code(number.country_code)
    country = region if country in (None, "ZZ") else country
    return f"{names.get(reason, 'not a possible number')} for a phone number of {country}"


def why_not_email(value: str) -> str:
    """Why a (normalized) email is no address by `is_email`'s rule, in a few words for the user."""
    local, at, domain = value.rpartition("@")
    if not at:
        return "it has no @"
    if "@" in local:
        return "it has more than one @"
    if not local:
        return "nothing comes before the @"
    if not domain:
        return "nothing comes after the @"
    if "." not in domain or not is_email(f"a@{domain}"):
        return f"'{domain}' after the @ is not a domain name"
    return f"'{local}' before the @ is not the name part of an address"


def shown(value: str) -> str:
    """A stored value quoted for the user, with what does not show escaped (zero-width and control
    characters, tabs, line breaks, non-breaking and other unusual spaces as \\uXXXX), so that a
    value that differs from its normal form only there does not look the same: `'ann\\u200b'`."""
    out = []
    for char in value:
        if char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char != " " and (not _shown(char, ["a"]) or char.isspace()):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def differences(value: str, normal: str, field: str) -> str:
    """What separates a stored value from its normal form, in words: `spaces`, `capitals`,
    `invisible characters`, `accents stored as separate marks, not Unicode NFC`, `not written in
    international E.164 form`."""
    if field == "phone":
        return "not written in international E.164 form"
    said = []
    if any(not _shown(char, ["a"]) for char in value):
        said.append("invisible characters")
    if unicodedata.normalize("NFC", value) != value:
        said.append("accents stored as separate marks, not Unicode NFC")
    if " ".join(value.split()) != value or any(char.isspace() and char not in " \n" for char in value):
        said.append("spaces")
    if field == "email" and value != value.lower():
        said.append("capitals")
    return ", ".join(said) or "its form"


def search_key(value: str) -> str:
    """The form search compares: casefolded, accents and other marks removed, apostrophes folded."""
    if value.isascii() and value.isprintable():  # most names: `normal_text`'s quick path, then lowercased
        return " ".join(value.split()).lower().replace("`", "'")[:SEARCH_KEY_LENGTH]
    text = normal_text(value)
    if text.isascii():  # casefold is lower, and nothing decomposes
        return text.lower().replace("`", "'")[:SEARCH_KEY_LENGTH]
    bare = _without_marks(_without_marks(text.translate(_APOSTROPHES)).casefold()).translate(_LETTERS)
    return unicodedata.normalize("NFC", bare.translate(_APOSTROPHES))[:SEARCH_KEY_LENGTH]


def _without_marks(text: str) -> str:
    """The text decomposed (NFKD) with its combining marks removed."""
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def _from_last_word(key: str) -> str:
    words = key.split()
    return " ".join(words[-1:] + words[:-1])[:SEARCH_KEY_LENGTH] if len(words) > 1 else key


def family_key(name: str) -> str:
    """The search key read from the name's last word, then the words before it (`Rosa Lindqvist`
    is `lindqvist rosa`): so a family name, which most scripts write last, is found by its start."""
    return _from_last_word(search_key(name))


def search_keys(name: str) -> dict[str, str]:
    """Both keys of a name, by the names of the Person columns that hold them."""
    key = search_key(name)
    words = key.split()  # `_from_last_word`, inline: the import computes both keys for every row
    family = " ".join(words[-1:] + words[:-1])[:SEARCH_KEY_LENGTH] if len(words) > 1 else key
    return {"search_key": key, "family_key": family}


def names_agree(one: str, other: str) -> bool:
    """Whether two names are of one person: equal search keys, or equal first and last words
    where only the middle names differ (one of them may have none)."""
    a, b = search_key(one), search_key(other)
    if a == b:
        return True
    a_words, b_words = a.split(), b.split()
    if len(a_words) < 2 or len(b_words) < 2:
        return False
    return a_words[0] == b_words[0] and a_words[-1] == b_words[-1]
