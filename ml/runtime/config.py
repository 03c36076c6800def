"""One typed configuration object for every knob of the pipeline.

``PipelineConfig`` nests one section per stage. Values come from the defaults below, then a
``--config`` file (YAML or JSON, same structure), then command-line flags. Unknown keys are
errors, so a typo never silently runs the defaults. The config is written into every run's
``manifest.json``.

The estimator sections' keys are the estimators' own parameters, one to one
(``ml.runtime.stages.build_stages`` builds them; tests/test_stages_config.py checks it): ``embed`` →
``SentenceEmbedder``, ``fusion`` → ``FeatureFusion``, ``reduce`` → ``UMAPReducer``, ``cluster`` →
``PersonaClusterer``, ``reassign`` → ``NoiseReassigner``, ``hierarchy`` → ``PersonaFamilies`` (its nested
``subpersonas`` → ``SubPersonas``). The few
keys that are not parameters say where the pipeline applies them (``ml.runtime.stages.NOT_PARAMETERS``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ml.filtering import FilterConfig
from ml.ingest.where import WHERE_HELP, WhereItems
from ml.profile.config import ProfileConfig
from ml.reduce import N_COMPONENTS
from ml.runtime.configfile import ConfigFile


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Section):
    text_col: str | None = None
    id_col: str | None = None
    author_col: str | None = None
    time_col: str | None = None
    reply_to_col: str | None = None
    thread_col: str | None = Field(None, description="column holding the conversation each message belongs to "
                                   "(a ticket or chat id; default: detected by name, else reply-to chains)")
    inbound_col: str | None = Field(None, description="which side wrote each message: true/false, or roles such as "
                                    "user/agent (ml.ingest.columns.CUSTOMER_SIDE / COMPANY_SIDE)")
    outbound_col: str | None = Field(None, description="a flag that is true where the company wrote (is_agent, "
                                     "is_bot); used when no inbound column is given")
    label_col: str | None = Field(None, description="evaluation only: never used for fitting")
    unit: Literal["message", "conversation", "author"] = "message"
    inbound_only: bool = False
    keep_agents: bool = Field(False, description="keep brand/agent accounts in support data and accounts that post "
                              "links only in any data (ml.filtering.agents)")
    min_members: int = Field(50, ge=10, description="fewer kept members than this is an error")
    sep: str | None = Field(None, description="CSV delimiter (one character, or \\t); None: sniffed among , ; tab |")
    encoding: str | None = Field(
        None, description="encoding of text files; None: by byte-order mark (UTF-8/16/32), else UTF-8"
    )
    timezone: str | None = Field(
        None, description="IANA zone (Area/City) to read hours and weekdays in; None: the data's own offsets, "
        "else UTC (ml.ingest.timebasis)"
    )
    where: WhereItems = Field(default_factory=list, description=WHERE_HELP)

    @model_validator(mode="after")
    def _one_side_column(self):
        if self.inbound_col and self.outbound_col:
            raise ValueError("pass one of inbound_col (--inbound-col) and outbound_col (--outbound-col), not both")
        return self



class EmbedConfig(_Section):
    model_name: str = "all-MiniLM-L6-v2"
    batch_size: int = Field(64, ge=1)
    cache_dir: str | None = Field(None, description="None: PERSONAS_CACHE_DIR or ~/.cache/personas")
    device: str = "cpu"
    encoder: Literal["fp32", "int8"] = Field(
        "fp32", description="fp32: sentence-transformers on torch; int8: ONNX Runtime with int8 weights (ml.features.embed_onnx)"
    )
    strip_handles_urls: bool = Field(
        True, description="embed the text without @handles and URLs (who is addressed is a network feature)"
    )
    long_texts: Literal["truncate", "medoid", "mean"] = Field(
        "truncate", description="a member longer than the model's window (256 word pieces): truncate = read on "
        "its first 256 word pieces (counted in the manifest); medoid / mean = cut into pieces at words, then "
        "the vector of its most typical piece / the pieces' mean (ml.features.long_text; docs/features.md)"
    )
    max_pieces: int = Field(16, ge=1, description="the most pieces one text is encoded as, spread over it")


class FusionConfig(_Section):
    text_weight: float = Field(0.75, ge=0.0, le=1.0, description="share of squared distance from text")
    require_metadata: bool = Field(
        True, description="use text only when the data has no timestamps, authors or reply links"
    )


class ReduceConfig(_Section):
    n_components: int = Field(
        N_COMPONENTS, ge=2, description="UMAP dimensions; the default is ml.reduce.N_COMPONENTS"
    )
    n_neighbors: int | None = Field(
        None, ge=2, description="UMAP neighbours of an unsampled fit; None: the clustering's minimum size "
        "(cluster.min_cluster_size, or the share rule's size for the members), within 15-30, at most a tenth of "
        "a small dump's rows (ml.runtime.layout.layout_neighbors; docs/ablations.md, 'Neighbours that follow the "
        "smallest persona', 'Small dumps')")
    min_dist: float = Field(0.0, ge=0.0, le=1.0)
    metric: str = "euclidean"
    fit_sample_size: int = Field(
        20000, ge=100, description="above 1.5x this many members UMAP and HDBSCAN fit a seeded sample of this "
        "size (up to there every member is fitted: a sample placing under a third saves little time and costs "
        "quality; ml.reduce.fitted_rows); the rest are placed by their nearest sampled members (placed: true in "
        "assignments)")
    sample_n_neighbors: int | None = Field(
        15, ge=2, description="UMAP n_neighbors of a sampled fit (a sample's groups are smaller); None: n_neighbors")
    n_epochs: int | None = Field(None, ge=10, description="UMAP epochs; None: UMAP's rule (500 up to 10,000 rows, 200 above)")
    place_neighbors: int = Field(10, ge=1, description="sampled members each placed member is placed from")
    spread_rounds: int = Field(5, ge=0, description="rounds the placed members' persona vote spreads over their "
                               "nearest rows among all rows (0: the sampled neighbours' vote only)")
    spread_rows: int = Field(50000, ge=100, description="most rows the spread searches (above: the fitted rows plus "
                             "a seeded sample of the placed ones)")
    low_memory: bool = Field(True, description="UMAP's low_memory nearest-neighbour search for sampled fits")


class ClusterConfig(_Section):
    min_cluster_size: int | None = Field(None, ge=2, description="None: chosen by `granularity`")
    min_cluster_share: float = Field(0.005, gt=0.0, lt=1.0, description="granularity 'share': this share of n")
    min_samples: int | None = Field(5, ge=1, description="None: equal to min_cluster_size")
    cluster_selection_method: Literal["eom", "leaf"] = "eom"
    cluster_selection_epsilon: float = Field(0.0, ge=0.0)
    merge_threshold: float = Field(0.0, ge=0.0, le=2.0)
    max_cluster_share: float = Field(0.5, gt=0.0, le=1.0, description="no persona above this share (1: off)")
    cap_min_split_share: float = Field(
        0.25, ge=0.0, le=1.0,
        description="the share cap is kept when the cluster it breaks up keeps at least this share in smaller clusters")
    granularity: Literal["share", "silhouette"] = Field(
        "share", description="how min_cluster_size is chosen when not given (docs/ablations.md, Granularity)")
    smallest_cluster_size: int = Field(5, ge=2, description="silhouette: smallest min_cluster_size tried")
    largest_cluster_share: float = Field(0.02, gt=0.0, lt=1.0, description="silhouette: largest size tried, share of n")
    selection_tolerance: float = Field(
        1.0, ge=0.0, description="silhouette: standard errors within which the larger min_cluster_size wins")
    selection_sample: int = Field(3000, ge=100, description="members whose silhouette is scored")
    rescue_ratio: float = Field(
        0.5, ge=0.0, lt=1.0,
        description="small dense clusters (this share of min_cluster_size) left in the noise become personas; 0: off")
    largest_min_cluster_size: int = Field(
        80, ge=10, description="granularity 'share': min_cluster_size never above this many fitted members "
        "(binds from about 16,100 at share 0.005; docs/ablations.md)")
    min_cluster_floor: int | None = Field(
        None, ge=2, description="granularity 'share': the least min_cluster_size; None: 10, or a twentieth of a dump "
        "under 200 members, at least 5 (ml.cluster.density.small_dump_floor; docs/ablations.md, 'Small dumps'); 10 with "
        "reduce.n_neighbors 15: the rule before 2026-12-06")
    join: Literal["silhouette", "off"] = Field(
        "silhouette", description="clusters that are pieces of one topic are joined where the members' silhouette "
        "in the text-embedding space peaks (not with a given min_cluster_size, nor when the size cap was needed; "
        "docs/ablations.md, Few large topics)")
    join_floor: float = Field(
        0.25, ge=-1.0, le=1.0, description="join: made only when its silhouette is at least this "
        "(0.25: Kaufman & Rousseeuw's 'no substantial structure' line)")
    promote_ratio: float = Field(
        0.0, ge=0.0, lt=1.0, description="groups of the tree at this share of min_cluster_size inside a persona become "
        "personas when that raises the silhouette, where it is at least join_floor; not with a given "
        "min_cluster_size nor when the size cap was needed (docs/ablations.md, Long-tailed data); 0: off")
    promote_gain: float = Field(0.0, ge=0.0, description="promote: least silhouette gain divided by the share of the "
                                "sampled members a promotion moves")


class ReassignConfig(_Section):
    space: Literal["embedding", "fused", "reduced"] = Field(
        "reduced", description="where 'nearest centroid' is measured (reduced: best on Banking77, see docs/ablations.md)"
    )
    metric: Literal["auto", "cosine", "euclidean"] = Field("auto", description="auto: cosine for embedding, else euclidean")
    noise_quantile: float = Field(0.95, gt=0.0, le=1.0)
    min_noise: int = Field(10, ge=1, description="noise points needed to calibrate the radius on them")
    model_space: Literal["embedding", "fused"] = Field(
        "embedding", description="where the saved persona model places new conversations"
    )


class MetricsConfig(_Section):
    stability: bool = True
    stability_sample: int = Field(3000, ge=100)
    silhouette_sample: int = Field(5000, ge=100)
    dbcv_sample: int = Field(3000, ge=100)


class SubPersonasConfig(_Section):
    """``hierarchy.subpersonas`` → ``ml.cluster.subpersonas.SubPersonas`` (``enabled`` aside);
    ``hierarchy: {subpersonas: false}`` is short for ``{subpersonas: {enabled: false}}``."""

    enabled: bool = Field(True, description="split personas into sub-personas (level 2); conversation runs only")
    ratio: float = Field(0.25, gt=0.0, lt=1.0,
                         description="the finer min_cluster_size as a share of the personas' (docs/ablations.md)")
    smallest: int = Field(5, ge=2, description="the finer min_cluster_size is at least this")
    method: Literal["eom", "leaf"] = Field("eom", description="HDBSCAN cluster selection of the finer reading")

    @model_validator(mode="before")
    @classmethod
    def _from_bool(cls, value):
        return {"enabled": value} if isinstance(value, bool) else value


class HierarchyConfig(_Section):
    n_families: int | Literal["auto"] = Field(
        "auto", description="families of personas: auto = round(sqrt(number of personas)), or a fixed count"
    )
    max_families: int = Field(30, ge=1)
    linkage: Literal["ward", "average", "complete"] = Field(
        "ward", description="how persona centroids merge into families: ward (more even families, the default), "
        "average (cosine; the rule before 2026-12-03), complete (docs/ablations.md \"Families\")"
    )
    subpersonas: SubPersonasConfig = SubPersonasConfig()


class PipelineConfig(ConfigFile):
    """Every knob of a conversation run; ``from_file``/``validated``/``updated`` come from ``ConfigFile``."""

    seed: int = 42
    executor: Literal["local", "ray"] = Field(
        "local", description="where per-row work runs (encoding, row-local features): local = this process; "
        "ray = Ray Data on RAY_ADDRESS or a local Ray (pip install '.[ray]'; ml.runtime.executor, docs/scale.md)"
    )
    input: InputConfig = InputConfig()
    filtering: FilterConfig = FilterConfig()
    embed: EmbedConfig = EmbedConfig()
    fusion: FusionConfig = FusionConfig()
    reduce: ReduceConfig = ReduceConfig()
    cluster: ClusterConfig = ClusterConfig()
    reassign: ReassignConfig = ReassignConfig()
    metrics: MetricsConfig = MetricsConfig()
    profile: ProfileConfig = ProfileConfig()
    hierarchy: HierarchyConfig = HierarchyConfig()
