"""Postal addresses in member texts (``ml.profile.pii``'s ``[address]``).

``ADDRESS_RE``: a house number, a street of capitalised words and a USPS street suffix (Publication 28), then
optionally a unit, a city, a state and a ZIP or UK postcode; ``ADDRESS_ZIP_RE``: the same in lower case, only when
a ZIP closes it; ``STATE_ZIP_RE``: a US state and ZIP closing an address written without a street word, from its
house number ("12478 old us 35 nw, jeforsonville Ohio 43128", which a Customer Support on Twitter review found in a
persona's evidence), or the state and ZIP alone; ``ZIP_LABEL_RE``: a ZIP after its label ("Zip:30093").
"""

from __future__ import annotations

import re

# USPS Publication 28, appendix C1: primary street suffix names, plus their common abbreviations
_USPS_SUFFIXES = (
    "Alley Avenue Branch Bridge Brook Brooks Burg Burgs Bypass Camp Canyon Cape Causeway Center "
    "Centers Circle Circles Cliff Cliffs Club Common Commons Corner Corners Course Court Courts Cove "
    "Coves Creek Crescent Crest Crossing Crossroad Curve Dale Dam Divide Drive Drives Estate Estates "
    "Expressway Extension Extensions Fall Falls Ferry Field Fields Flat Flats Ford Fords Forest Forge "
    "Forges Fork Forks Fort Freeway Garden Gardens Gateway Glen Glens Green Greens Grove Groves "
    "Harbor Harbors Haven Heights Highway Hill Hills Hollow Inlet Island Islands Isle Junction "
    "Junctions Key Keys Knoll Knolls Lake Lakes Land Landing Lane Light Lights Loaf Lock Locks Lodge "
    "Loop Mall Manor Manors Meadow Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains "
    "Neck Orchard Oval Overpass Park Parks Parkway Parkways Pass Passage Path Pike Pine Pines Place "
    "Plain Plains Plaza Point Points Port Ports Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge "
    "Ridges River Road Roads Route Row Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur "
    "Spurs Square Squares Station Stravenue Stream Street Streets Summit Terrace Throughway Trace "
    "Track Trafficway Trail Tunnel Turnpike Underpass Union Unions Valley Valleys Via Viaduct View "
    "Views Village Villages Ville Vista Walk Walks Wall Way Ways Well Wells Aly Ave Av Blvd Boulevard "
    "Byp Cswy Ctr Cir Close Ct Cv Cres Xing Dr Expy Ext Fwy Gdns Grv Hts Hwy Jct Ln Mnr Pkwy Pl Plz "
    "Rd Rte Sq St Ter Terr Trl Tpke Wy Pt Rdg Parade Esplanade"
)
# what closes an address: a US ZIP code, or a UK postcode (Royal Mail's format: "NW1 6XE", "SW1A 1AA")
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"
_POSTCODE = rf"(?:\d{{5}}(?:-\d{{4}})?\b|{_UK_POSTCODE})"
_STREET_SUFFIXES = "|".join(sorted(set(_USPS_SUFFIXES.split()), key=len, reverse=True))
ADDRESS_RE = re.compile(
    # a bare number names the street only after a direction ("3003 E 107 Terr"; "I have 2 12 Court dates" stays)
    r"\b\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+\d{1,3}\s+|"
    r"(?:(?:[NSEW]|North|South|East|West)\.?\s+)?(?:(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][a-zA-Z'-]+)\.?\s+){1,3})"
    rf"(?:{_STREET_SUFFIXES})\b\.?(?:\s+(?:[NS][EW]|[NSEW])\b\.?)?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|#)\.?\s*#?\w{1,6})?"
    # ", City", ", ST", then a ZIP or postcode; the commas may be missing when a state and ZIP, or a UK postcode
    # (with or without a town before it), close it
    rf"(?:,?\s+[A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+){{0,2}},?\s+[A-Z]{{2}},?\s+{_POSTCODE}"
    rf"|,?\s+(?:[A-Z][a-zA-Z]+\s+){{0,2}}{_UK_POSTCODE}"
    rf"|,\s+[A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+){{0,2}}\b(?:,\s+[A-Z]{{2}}\b)?(?:,?\s+{_POSTCODE})?)?"
)
# the same written in lower case ("3238 w. columbine dr, phx,85029"): only when a ZIP code closes it, as the
# capitalised form needs no ZIP but "5 minutes walk" must stay. Lower case, only the suffixes that mean a street
# ("3 times the same way, order 12345" is no address), then a comma, a city of up to three words and the ZIP
_LOWER_STREET = "street|st|avenue|ave|drive|dr|road|rd|lane|ln|boulevard|blvd|court|ct|place|pl|parkway|pkwy|" \
                "highway|hwy|circle|cir|terrace|ter|trail|trl"
ADDRESS_ZIP_RE = re.compile(
    r"(?i)\b\d{1,6}[a-z]?\s+(?:(?:[nsew]|north|south|east|west)\.?\s+)?(?:[a-z][a-z'-]+\.?\s+){1,3}"
    rf"(?:{_LOWER_STREET})\b\.?(?:,?\s+(?:apt|apartment|suite|ste|unit|#)\.?\s*#?\w{{1,6}})?"
    r",\s*(?:[a-z][a-z.]*\s*){1,3},?\s*(?:[a-z]{2}[,\s]+)?\d{5}(?:-\d{4})?\b"
)
# a US state and a ZIP close an address that has no street word ("12478 old us 35 nw, jeforsonville Ohio 43128"):
# from its house number (a number, up to 40 characters and a comma: the street part) through up to three words of
# city, else the state and ZIP alone. A state's name may stand anywhere; its two-letter code only after a comma
# or a capitalised word ("Boise, ID 83702", "Boise ID 83702"), and the codes that are also words or labels (ID,
# IN, ME, OK, OR, HI, OH) only after a comma, so "order ID 12345" and "Case ID 54321" stay (order numbers are
# kept, docs/privacy.md). A ZIP after its label ("Zip:30093", "zip code 30093") is masked too.
_STATES = ["Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
           "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky",
           "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
           "Missouri", "Montana", "Nebraska", "Nevada", "Ohio", "Oklahoma", "Oregon", "Pennsylvania",
           "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "Wisconsin", "Wyoming",
           r"New\s+Hampshire", r"New\s+Jersey", r"New\s+Mexico", r"New\s+York", r"North\s+Carolina",
           r"North\s+Dakota", r"Rhode\s+Island", r"South\s+Carolina", r"South\s+Dakota", r"West\s+Virginia"]
_WORD_CODES = {"ID", "IN", "ME", "OK", "OR", "HI", "OH"}  # also words, labels or interjections
_CODES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
          "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
          "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC"]
_PLAIN_CODES = "|".join(c for c in _CODES if c not in _WORD_CODES)
_STATE = (rf"(?:\b(?i:{'|'.join(_STATES)})|(?<=,)(?:{'|'.join(_CODES)})|(?<=, )(?:{'|'.join(_CODES)})"
          rf"|(?<=[a-z] )(?:{_PLAIN_CODES}))")
_STREET_PART = r"\b\d{1,6}[A-Za-z]?\s[^\n\[\],]{1,40},\s*(?:[A-Za-z][\w.'-]*\s+){0,3}"
STATE_ZIP_RE = re.compile(rf"(?:{_STREET_PART})?{_STATE}\.?,?\s+\d{{5}}(?:-\d{{4}})?\b")
ZIP_LABEL_RE = re.compile(r"(?i)(?P<label>\b(?:zip(?:\s*code)?|post(?:al)?\s*code)\s*(?:is\s*|:\s*|#\s*)?)"
                          r"\d{5}(?:-\d{4})?\b")
