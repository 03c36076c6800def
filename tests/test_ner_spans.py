"""Person-name spans in bounded memory (``ml.profile.ner_spans``): worker processes give the same spans as
one process, and a run of texts leaves the NER's vocabulary as it found it."""

import pytest

from ml.profile import ner_spans, pii

FIRST = ["John", "Maria", "Ahmed", "Lucy", "Pedro", "Grace"]
LAST = ["Smith", "Garcia", "Khan", "Brown", "Silva", "Okafor"]


def _texts(n):
    # distinct made-up words (ticket codes) so every text brings strings the vocabulary has not seen
    return [f"{FIRST[i % 6]} {LAST[(i // 6) % 6]} helped me with ticket zqv{i}x at the Denver desk today"
            if i % 3 else f"my parcel kpt{i}w is late again" for i in range(n)]


@pytest.fixture(scope="module")
def nlp():
    return pii.load_ner()


def test_workers_give_the_same_spans_as_one_process(monkeypatch, nlp):
    monkeypatch.setattr(ner_spans, "CHUNK", 40)
    texts = _texts(150)
    serial = ner_spans.person_spans(texts, n_process=1)
    parallel = ner_spans.person_spans(texts, n_process=2)
    assert parallel == serial
    named = [t[s:e] for t, spans in zip(texts, serial) for s, e in spans]
    assert sum(" " in n for n in named) >= 30  # full names found, as offsets into each text
    assert all(n.split()[0] in FIRST for n in named if " " in n)


def test_a_run_of_texts_leaves_the_vocabulary_as_it_was(nlp):
    ner_spans.person_spans(_texts(50), n_process=1)  # the model's own first-use strings
    before = len(nlp.vocab.strings)
    ner_spans.person_spans(_texts(400), n_process=1)
    assert len(nlp.vocab.strings) == before  # each chunk's new strings were freed with its memory zone


def test_brand_words_and_short_tokens_are_not_names(nlp):
    spans = ner_spans.person_spans(["Chipotle Smith was rude to me", "Thanks so much Lucy Brown!"],
                                   brands=frozenset({"chipotletweets"}))
    texts = ["Chipotle Smith was rude to me", "Thanks so much Lucy Brown!"]
    assert all("Chipotle" not in texts[0][s:e] for s, e in spans[0])
    assert [texts[1][s:e] for s, e in spans[1]] == ["Lucy Brown"]
