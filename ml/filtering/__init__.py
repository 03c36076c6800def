"""Quality filter: six stages that remove messages which would distort personas.

`QualityFilter(FilterConfig)` runs, in order (each stage can be disabled and is counted in `report_`):

1. `exact_duplicates` — identical after normalisation (lowercase, URLs/@handles removed, digits -> 0,
   punctuation and whitespace runs collapsed); the first occurrence stays.
2. `near_duplicates` — MinHash LSH (datasketch) over character 5-grams, Jaccard >= 0.8; first stays.
   See `ml.filtering.near_duplicates` for why character grams suit tweets better than word 3-grams.
3. `retweets_forwards` — "RT @x", "MT @x", quoted tweets ("@x: ...") and forwards (Fwd:/FW:, forwarded-
   message markers), unless the author added at least 3 words of their own ("Always have it together!!!
   You're welcome! RT @VirginAmerica: ..." stays: the comment is the author's behaviour).
4. `length` — fewer than 3 words or 10 characters once @handles/URLs are removed, or over 2,000 characters.
5. `templates` — boilerplate: a skeleton (URLs, handles, agent signatures such as "^KN", and tokens with
   digits masked) seen >= 5 times, with >= 4 plain words, across >= 2 authors or with >= 2 different
   fillers. *All* occurrences go, the first included: a template is machine text, not something its
   sender wrote, so keeping one exemplar would make one arbitrary sender look as if they wrote it; what
   was removed stays visible in `templates_` and the report's examples. Skeletons are counted on every
   fit row, before duplicates are removed (stage 1 would otherwise hide how often an auto-reply recurs).
   Short generic phrases ("@x thanks so much!") are not templates: the 4-word minimum keeps them.
6. `non_english` — texts not in English: with handles, URLs, hashtags and emoji removed, texts of >= 5
   letters whose letters are mostly outside Latin script, or that py3langid (model inside its wheel) scores
   with another top language and P(English) < 0.05; shorter texts are kept (`ml.filtering.language`;
   measured against lingua and the old function-word test in docs/language.md).

How they run: every stage but the two duplicate stages' bookkeeping judges a text on its own, so each text's
signals (duplicate key, skeleton, LSH bands, forward / length / language verdicts) are computed once, up
front, for all candidates (`ml.filtering.rows`): from 20,000 texts in one forked worker per core. The stages
then only select; the result is what running each stage on the rows still alive gives (tested). Where the
messages have timestamps the stages read them by time, then text, then id (``quality.canonical_order``), so
"first" is the earliest and a re-export of the same rows in another order keeps the same ones (an airline review's
shuffled week kept 3,977 rows against 3,976); the kept rows come back in the file's order.

Why stage 6 is `non_english` (measured with the defaults, `fit_transform` on the real data):
the embedding model (all-MiniLM-L6-v2) and the style word lists (politeness, first person) are English-only,
so non-English texts form one spurious "language" cluster with meaningless style features. On the TWCS
slice (twcs_first5000.csv) stage 6 removes 117 of 4,687 remaining messages (2.5%): 38 in Japanese/Hindi/
Chinese script and 79 in Latin script (Spanish, German, Portuguese, French, Turkish), of which 3 are English
or undetermined on inspection ("Barbacoa w da guac", "Ohcamaro at gmail", a bare name); 65 of 2,590 on the
inbound (customer) side. On the airline tweets it removes 2 of 13,858, both all-caps English ("OMG OMG OMG
!!! I JUST DID!!"). The function-word test it replaced removed 63 / 26 / 0.
The alternative considered, `bot_like_accounts`, is weaker on this data: the one clear bot in the airline
tweets (JetBlueNews, 63 headline tweets, one per hour) is mostly removed by the duplicate stages already,
while "machine rate" rules hit people writing multi-tweet threads (5 airline authors with >= 5 tweets post
with a median gap of 0 s; on TWCS the fastest customer with >= 5 tweets has a 19 s median gap over a
7-tweet thread). TWCS customers are anonymised, so no customer account looks automated.

Per-stage counts with the defaults (removed; kept share of the input after the stage):

| stage | TWCS all (5,000) | TWCS inbound (2,778) | airline (14,640) |
|---|---|---|---|
| exact_duplicates | 162 (0.968) | 78 (0.972) | 464 (0.968) |
| near_duplicates | 23 (0.963) | 2 (0.971) | 24 (0.967) |
| retweets_forwards | 0 (0.963) | 0 (0.971) | 73 (0.962) |
| length | 127 (0.938) | 108 (0.932) | 218 (0.947) |
| templates | 1 (0.937) | 0 (0.932) | 1 (0.947) |
| non_english | 117 (0.914) | 65 (0.909) | 2 (0.946) |
"""

from ml.filtering.config import FilterConfig
from ml.filtering.quality import STAGES, QualityFilter

__all__ = ["STAGES", "FilterConfig", "QualityFilter"]
