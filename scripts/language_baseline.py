"""The language test stage 6 used before py3langid (until issue 13), kept only so `eval_language.py` can
measure it: a script check plus a hand-made function-word test.

Not English when (a) fewer than half of the letters are Latin script, or (b) a Latin-script text of >= 4 words
has no English function word and >= 2 distinct Spanish/Portuguese/French/German/Italian/Dutch ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.filtering.text import HASHTAG_RE, LATIN_LETTER_RE, LETTER_RE, strip_handles_urls

_ENGLISH = (
    "a an the and or but if so to of in on at by for from with about into over after before up down out off "
    "is are was were be been being am do does did done have has had will would can could should may might "
    "must shall i me my mine you your yours he him his she her it its we us our they them their this that "
    "these those what which who whom when where why how not no yes all any some just only very too also than "
    "then there here please thanks thank thx pls plz ur u im dont cant wont get got going still now again one"
)
_FOREIGN = (
    "el los las del que por para con una uno es mi muy pero como más mas gracias hola está esta estoy tengo "
    "ya sus su al lo le se nos eso todo hay sin y o não nao você voce obrigado obrigada uma com meu minha le "
    "les des du et est je tu vous nous pas avec pour sur mais très tres merci bonjour une qui dans ce der die "
    "das und ist ich nicht mit ein eine auf für fur sie wir den dem bitte danke kann noch auch il che di "
    "della per non sono è grazie ciao anche het een ik niet dat voor maar wel"
)
ENGLISH_WORDS = frozenset(_ENGLISH.split())
FOREIGN_WORDS = frozenset(_FOREIGN.split())


def baseline_non_english(
    texts: pd.Series, min_latin_share: float = 0.5, min_words: int = 4, min_foreign_hits: int = 2
) -> np.ndarray:
    """Boolean array: True where the old stage judged the text not English."""
    texts = texts.reset_index(drop=True)
    body = strip_handles_urls(texts).str.replace(HASHTAG_RE, " ", regex=True)
    letters = body.str.count(LETTER_RE).to_numpy()
    latin = body.str.count(LATIN_LETTER_RE).to_numpy()
    latin_share = np.where(letters > 0, latin / np.maximum(letters, 1), 1.0)
    other_script = (letters >= 3) & (latin_share < min_latin_share)
    words = body.str.lower().str.findall(r"[^\W\d_]+")
    exploded = words.explode()
    en_hits = exploded.isin(ENGLISH_WORDS).groupby(exploded.index, sort=False).sum()
    foreign = exploded[exploded.isin(FOREIGN_WORDS)].groupby(level=0, sort=False).nunique()
    n_words = words.str.len().fillna(0).to_numpy()
    en_hits = en_hits.reindex(texts.index, fill_value=0).to_numpy()
    foreign_hits = foreign.reindex(texts.index, fill_value=0).to_numpy()
    return other_script | ((n_words >= min_words) & (en_hits == 0) & (foreign_hits >= min_foreign_hits))
