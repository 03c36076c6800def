"""Personal identifiers with a fixed shape that ``ml.profile.pii`` masks by pattern besides its own: US Social
Security numbers, dates of birth after their cue, IPv4 addresses and UK postcodes standing alone.

A privacy review planted them in real tweets (2026-12-06): 8 of 8 SSNs, 15 of 15 dates of birth, 10 of 10 lone
postcodes and a customer's traceroute IPs reached the evidence, the map and the exports unmasked.

- ``[ssn]``: ``123-45-6789`` / ``123 45 6789`` (the Social Security Administration's rules: no area 000, 666 or
  9xx, no group 00, no serial 0000), or nine digits after "SSN" / "social security (number)";
- ``[dob]``: a date (``14/08/1979``, ``1974-01-11``, ``March 13, 1995``, ``13th March 1995``) after "date of birth",
  "DOB", "d.o.b", "birthdate", "born (on)", "birthday (is)": the cue stays, the date goes (a date alone is no
  identifier and is kept, as flight dates are);
- ``[ip]``: dotted IPv4 addresses, each part 0-255;
- ``[address]``: a UK postcode in capitals with its space (``SW1A 1AA``, ``LS1 4AP``), the Royal Mail format.

Measured over 43,925 real texts of ../shared/data (TWCS, airline, Banking77, GoogleNews-TS): 1 date of birth
("Birthdate 11/13/2012"), 13 IPs (a Verizon customer's traceroutes), no SSN once a Target item number after
"DPCI" is kept as order numbers are, and no lone postcode once the space is required (without it, 16 matches:
aircraft tail numbers such as "N366SW" and a booking code).
"""

from __future__ import annotations

import re

SSN_RE = re.compile(r"\b(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}\b")
SSN_CUE_RE = re.compile(r"(?i)(\b(?:ssn|social security(?: number| no\.?| #)?)\W{0,3}(?:is\s+|was\s+|:\s*|#\s*)?)"
                        r"(\d{3}[- ]?\d{2}[- ]?\d{4})\b")
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?,? "
         rf"\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS}\.?,? \d{{4}})")
DOB_RE = re.compile(rf"(?i)(\b(?:date of birth|d\.?o\.?b\.?|birth ?date|born(?: on)?|birthday(?: is)?)\W{{0,3}}"
                    rf"(?:is\s+|was\s+|:\s*|-\s*)?)({_DATE})\b")
# not a version or build number written with four parts ("version 2.1.0.4", "driver 6.3.0.12", "v10.0.0.1")
IPV4_RE = re.compile(r"(?<![\d.])(?<!\bv)(?<!\bversion )(?<!\bver )(?<!\bbuild )(?<!\bdriver )(?<!\bfirmware )"
                     r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.]*\d)", re.IGNORECASE)
# with its space: written together ("N366SW") the shape is as often an aircraft's tail number (airline tweets)
# and not a storage size after a product ("PS4 2TB", "Galaxy S9 4GB": an inward code ending GB or TB is taken as one)
UK_POSTCODE_RE = re.compile(r"\b(?:GIR 0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? (?!\d[GT]B\b)\d[ABD-HJLNP-UW-Z]{2})\b")


def mask_identifiers(text: str, kept=None) -> str:
    """``text`` with the identifiers above but postcodes (``mask_postcodes``, after the street addresses) replaced by
    their placeholders; ``kept(text, start)``: True where a
    number in an SSN's shape is something else the masker keeps (an order number after its keyword)."""
    out = DOB_RE.sub(lambda m: m.group(1) + "[dob]", text)
    out = SSN_CUE_RE.sub(lambda m: m.group(1) + "[ssn]", out)
    out = SSN_RE.sub(lambda m: m.group() if kept is not None and kept(out, m.start()) else "[ssn]", out)
    return IPV4_RE.sub("[ip]", out)


def mask_postcodes(text: str) -> str:
    """UK postcodes left standing alone once the street addresses (with their postcodes) were masked."""
    return UK_POSTCODE_RE.sub("[address]", text)
