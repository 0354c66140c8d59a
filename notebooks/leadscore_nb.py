"""Shared code of the leadscore notebooks: run the binary, read its tables,
compute evaluation tables in pandas, and call the gRPC API.

The notebooks (and test_client.py) import this module from the notebooks
directory. It needs only Debian's python3-pandas, python3-grpcio and
python3-protobuf, plus Debian's protoc to generate the message classes from
proto/leadscore/v1/scoring.proto at run time (nothing generated is committed).

    import leadscore_nb as ls
    leads = ls.read_table("demo/history/leads.parquet")      # via `data export`
    with ls.Server(models_dir) as srv:                        # `leadscore serve`
        client = srv.client()
        p = client.predict(ls.lead_from_record(leads.iloc[0]), explain=True)

Every subprocess and every RPC has a bounded timeout, and Server always stops
the process it started.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

#: The repository root: the parent of the directory holding this module.
REPO = Path(__file__).resolve().parent.parent

#: Columns holding timestamps in the tables leadscore writes.
TIME_COLUMNS = ("created_at", "closed_at", "ts", "scored_at")

#: Default timeout in seconds of one leadscore command.
COMMAND_TIMEOUT = 600


class LeadscoreError(RuntimeError):
    """A leadscore command failed; the message holds its stderr."""


# ---------------------------------------------------------------- the binary


def binary() -> Path:
    """Path of the leadscore binary: $LEADSCORE_BIN, else REPO/bin/leadscore."""
    return Path(os.environ.get("LEADSCORE_BIN", REPO / "bin" / "leadscore"))


def build(timeout: float = COMMAND_TIMEOUT) -> Path:
    """Build bin/leadscore with `go build` when it is missing; return its path."""
    b = binary()
    if b.exists():
        return b
    go = shutil.which("go")
    if go is None:
        raise LeadscoreError(f"{b} is missing and no `go` is on PATH to build it")
    proc = subprocess.run([go, "build", "-o", str(b), "./cmd/leadscore"], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise LeadscoreError(f"go build ./cmd/leadscore failed:\n{proc.stderr}")
    return b


def run(*args, timeout: float = COMMAND_TIMEOUT, echo: bool = False) -> str:
    """Run `leadscore ARGS...` and return its stdout.

    Raises LeadscoreError (with the command line and stderr) when it exits
    non-zero, and subprocess.TimeoutExpired after timeout seconds. With
    echo, stdout is printed too (handy in a notebook).
    """
    cmd = [str(binary())] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise LeadscoreError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    if echo:
        print(proc.stdout, end="")
    return proc.stdout


def ensure_history(directory, leads: int = 8000, quarters: int = 8, seed: int = 7) -> Path:
    """Return directory, generating a synthetic history there with `leadscore
    gen` when directory/leads.parquet is missing."""
    d = Path(directory)
    if not (d / "leads.parquet").exists():
        d.mkdir(parents=True, exist_ok=True)
        run("gen", "--leads", leads, "--quarters", quarters, "--seed", seed, "--out", d)
    return d


def read_table(path, columns=None, timeout: float = COMMAND_TIMEOUT) -> pd.DataFrame:
    """Read a Parquet file written by leadscore into a DataFrame, through
    `leadscore data export --format csv`. Timestamp columns (TIME_COLUMNS)
    become UTC datetimes."""
    args = ["data", "export", "--format", "csv"]
    if columns:
        args += ["--columns", ",".join(columns)]
    text = run(*args, path, timeout=timeout)
    # Only an empty cell is missing: "NA" (Namibia), "null" or "None" are values.
    df = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], low_memory=False)
    for c in TIME_COLUMNS:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c], utc=True, errors="coerce")
    return df


def write_table(df: pd.DataFrame, path, timeout: float = COMMAND_TIMEOUT) -> Path:
    """Write df to a Parquet file through a CSV and `leadscore import` (which
    infers each column's type from the whole file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=path.parent, delete=False) as f:
        out.to_csv(f, index=False)
        tmp = f.name
    try:
        run("import", "--csv", tmp, "--out", path, timeout=timeout)
    finally:
        os.unlink(tmp)
    return path


def quarter_of(ts: pd.Series) -> pd.Series:
    """Calendar quarter ("2026Q3") of each UTC timestamp."""
    return ts.dt.year.astype("Int64").astype(str) + "Q" + ts.dt.quarter.astype("Int64").astype(str)


def train(data, out, events=None, spec=None, exclude=(), extra=(), timeout: float = COMMAND_TIMEOUT) -> dict:
    """Run `leadscore train --json` and return its JSON result."""
    args = ["train", "--data", data, "--out", out, "--json"]
    if events:
        args += ["--events", events]
    if spec:
        args += ["--spec", spec]
    if exclude:
        args += ["--exclude", ",".join(exclude)]
    args += list(extra)
    return json.loads(run(*args, timeout=timeout))


def inspect(artifact, timeout: float = COMMAND_TIMEOUT) -> dict:
    """Run `leadscore model inspect --json` on a version or model directory."""
    return json.loads(run("model", "inspect", "--json", artifact, timeout=timeout))


def score(models, data, out, events=None, model=None, reasons: int = 3,
          timeout: float = COMMAND_TIMEOUT) -> pd.DataFrame:
    """Run `leadscore score` and return the scores it wrote as a DataFrame."""
    args = ["score", "--models", models, "--data", data, "--out", out, "--reasons", reasons]
    if events:
        args += ["--events", events]
    if model:
        args += ["--model", model]
    run(*args, timeout=timeout)
    return read_table(out, timeout=timeout)


def snapshot(leads: pd.DataFrame, events: pd.DataFrame, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history as it looked at as_of: leads created before it, outcomes
    that closed at or after it turned back to "open" (with closed_at and
    amount cleared), and events before it. This is what last quarter's
    retrain saw, so a model trained on it stands in for the serving model."""
    as_of = pd.Timestamp(as_of, tz="UTC") if pd.Timestamp(as_of).tzinfo is None else pd.Timestamp(as_of)
    old = leads[leads["created_at"] < as_of].copy()
    later = old["closed_at"].notna() & (old["closed_at"] >= as_of)
    old.loc[later, "outcome"] = "open"
    old.loc[later, "closed_at"] = pd.NaT
    if "amount" in old.columns:
        old.loc[later, "amount"] = np.nan
    ev = events[(events["ts"] < as_of) & events["lead_id"].isin(old["lead_id"])].copy()
    return old, ev


def features_frame(version_dir, scorer: str = "global", inspected: dict | None = None) -> pd.DataFrame:
    """One row per model input feature of a scorer: group, kind, monotone
    constraint (-1, 0, +1, from the artifact's scorers/NAME.json) and the
    champion's and challenger's importance (from `model inspect --json`)."""
    version_dir = Path(version_dir)
    if not (version_dir / "manifest.json").exists():
        version_dir = newest_version(version_dir)
    art = json.loads((version_dir / "scorers" / f"{scorer}.json").read_text())
    info = inspected or inspect(version_dir)
    sc = next(s for s in info["scorers"] if s["name"] == scorer)
    rows = []
    for f in art["transformer"]["features"]:
        rows.append({
            "feature": f["name"], "group": f.get("group", ""), "kind": f.get("kind", ""),
            "monotone": int(f.get("monotone", 0)),
            "champion": sc["champion"]["importance"].get(f["name"], 0.0),
            "challenger": (sc.get("challenger") or {}).get("importance", {}).get(f["name"], np.nan),
        })
    return pd.DataFrame(rows).sort_values("champion", ascending=False, ignore_index=True)


def model_attributes(version_dir, scorer: str = "global") -> list[str]:
    """The lead attributes (columns) a model's features are made from, read
    from the artifact: what a client should send, besides id, created_at
    and events."""
    version_dir = Path(version_dir)
    if not (version_dir / "manifest.json").exists():
        version_dir = newest_version(version_dir)
    art = json.loads((version_dir / "scorers" / f"{scorer}.json").read_text())
    return sorted({f.get("source", f["name"]) for f in art["transformer"]["features"] if not f.get("from_event")})


def parse_reasons(text) -> list[tuple[str, str, float]]:
    """Split the `reasons` column of a scores file ("feature=value:+1.2;...")
    into (feature, value, contribution) triples."""
    out = []
    if not isinstance(text, str) or not text:
        return out
    for part in text.split(";"):
        head, _, contrib = part.rpartition(":")
        feature, _, value = head.partition("=")
        try:
            out.append((feature, value, float(contrib)))
        except ValueError:
            out.append((feature, value, float("nan")))
    return out


def newest_version(model_dir) -> Path:
    """The newest version directory (by name) under a model directory."""
    vs = sorted(p for p in Path(model_dir).iterdir() if (p / "manifest.json").exists())
    if not vs:
        raise LeadscoreError(f"{model_dir}: no model versions (no */manifest.json)")
    return vs[-1]


def quick_model(history, models_dir, name: str = "leads", exclude=None, timeout: float = COMMAND_TIMEOUT) -> Path:
    """The newest version of models_dir/name, training one first when there
    is none: `spec infer` on the history, `train`, and, when train reports
    possible leakage and exclude is None, `train` again without the leaky
    columns (notebook 01 explains why). Returns the version directory."""
    history = Path(history)
    model_dir = Path(models_dir) / name
    try:
        return newest_version(model_dir)
    except (LeadscoreError, FileNotFoundError):
        pass
    events = history / "events.parquet"
    events = events if events.exists() else None
    # The spec and the probe model go to a scratch directory: the artifact
    # keeps its own copy of the spec, and the models directory must hold
    # model directories only (serve reads it).
    with tempfile.TemporaryDirectory(prefix="leadscore-quick-") as tmp:
        spec = Path(tmp) / "spec.yaml"
        spec_args = ["spec", "infer", "--data", history / "leads.parquet", "--out", spec]
        if events:
            spec_args += ["--events", events]
        run(*spec_args, timeout=timeout)
        if exclude is None:
            probe = train(history / "leads.parquet", Path(tmp) / "probe", events=events, spec=spec,
                          timeout=timeout)
            exclude = [x["Column"] for x in probe.get("leakage") or []]
        model_dir.mkdir(parents=True, exist_ok=True)
        res = train(history / "leads.parquet", model_dir, events=events, spec=spec, exclude=exclude,
                    timeout=timeout)
    return Path(res["artifact"]) if Path(res["artifact"]).is_absolute() else newest_version(model_dir)


# ----------------------------------------------------- evaluation in pandas


def won_lost(outcomes: pd.DataFrame, scores: pd.DataFrame, prob: str = "probability") -> pd.DataFrame:
    """Join scores with outcomes on lead_id, keep closed leads (won or lost),
    and add y (1 won, 0 lost)."""
    keep = ["lead_id", "outcome"] + [c for c in ("created_at",) if c not in scores.columns]
    df = scores.merge(outcomes[keep], on="lead_id", how="inner", validate="one_to_one")
    df = df[df["outcome"].isin(["won", "lost"])].copy()
    df["y"] = (df["outcome"] == "won").astype(int)
    df = df[df[prob].notna()]
    return df


def auc(y, p) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half)."""
    y = np.asarray(y)
    r = pd.Series(np.asarray(p)).rank(method="average").to_numpy()
    n1 = y.sum()
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pr_auc(y, p) -> float:
    """Average precision: the mean precision at each won lead, ranked by p."""
    order = np.argsort(-np.asarray(p), kind="stable")
    y = np.asarray(y)[order]
    if y.sum() == 0:
        return float("nan")
    hits = np.cumsum(y)
    prec = hits / np.arange(1, len(y) + 1)
    return float(prec[y == 1].mean())


def logloss(y, p, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood."""
    y = np.asarray(y)
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(y, p) -> float:
    """Mean squared error of the probability."""
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y)) ** 2))


def reliability(y, p, bins: int = 10, equal: str = "count") -> pd.DataFrame:
    """Reliability table: leads, mean predicted probability and observed win
    rate per bin of p. equal="count" makes bins of equal size (readable when
    most probabilities are small); equal="width" uses leadscore's bins
    [i/bins, (i+1)/bins) over [0, 1] (eval.ECE, the report). Empty bins are
    left out."""
    df = pd.DataFrame({"y": np.asarray(y), "p": np.asarray(p, dtype=float)})
    if equal == "count":
        df["bin"] = pd.qcut(df["p"].rank(method="first"), bins, labels=False) + 1
    elif equal == "width":
        df["bin"] = np.clip((df["p"] * bins).astype(int), 0, bins - 1)
    else:
        raise ValueError(f"reliability: equal={equal!r}, want 'count' or 'width'")
    t = df.groupby("bin").agg(leads=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"))
    return t.reset_index()


def ece(y, p, bins: int = 10) -> float:
    """Expected calibration error as leadscore defines it (eval.ECE): over
    equal-width bins of [0, 1], the lead-weighted mean of |observed −
    predicted|."""
    t = reliability(y, p, bins, equal="width")
    return float((t["leads"] * (t["observed"] - t["predicted"]).abs()).sum() / t["leads"].sum())


def gains(y, p) -> pd.DataFrame:
    """Cumulative gains: for each share of leads worked (best scores first),
    the share of all won leads captured."""
    order = np.argsort(-np.asarray(p), kind="stable")
    y = np.asarray(y)[order]
    n = len(y)
    return pd.DataFrame({
        "share_worked": np.arange(1, n + 1) / n,
        "share_won": np.cumsum(y) / max(y.sum(), 1),
    })


def lift_at(y, p, share: float = 0.1) -> float:
    """Win rate of the top share of leads (the ceil(share·N) highest scores,
    ties in input order, as eval.LiftAt) divided by the overall win rate."""
    y = np.asarray(y)
    x = share * len(y)
    k = int(round(x)) if abs(x - round(x)) <= 1e-9 * max(1.0, round(x)) else int(np.ceil(x))
    k = min(max(k, 1), len(y))
    top = y[np.argsort(-np.asarray(p), kind="stable")[:k]]
    base = y.mean()
    return float(top.mean() / base) if base > 0 else float("nan")


def metrics(y, p) -> dict:
    """The metrics train reports (auc, pr_auc, logloss, brier, ece, lift10),
    computed here from scores and outcomes with leadscore's definitions
    (test_client checks that they match train's numbers)."""
    return {
        "leads": int(len(y)),
        "win_rate": float(np.mean(y)),
        "auc": auc(y, p),
        "pr_auc": pr_auc(y, p),
        "logloss": logloss(y, p),
        "brier": brier(y, p),
        "ece": ece(y, p),
        "lift10": lift_at(y, p, 0.1),
    }


# ------------------------------------------------------------------- gRPC

_PROTO = REPO / "proto" / "leadscore" / "v1" / "scoring.proto"
_SERVICE = "/leadscore.v1.LeadScoring/"
_pb2 = None
_pb2_lock = threading.Lock()


def protoc_include() -> Path:
    """Directory holding google/protobuf/timestamp.proto (Debian's
    libprotobuf-dev or protobuf-compiler)."""
    for d in ("/usr/include", "/usr/local/include"):
        if (Path(d) / "google" / "protobuf" / "timestamp.proto").exists():
            return Path(d)
    raise LeadscoreError("google/protobuf/timestamp.proto not found: apt-get install protobuf-compiler libprotobuf-dev")


def pb2(build_dir=None):
    """The scoring_pb2 module generated from proto/leadscore/v1/scoring.proto
    by protoc --python_out into build_dir (default: a fresh temporary
    directory), imported once per process."""
    global _pb2
    with _pb2_lock:
        if _pb2 is not None:
            return _pb2
        protoc = shutil.which("protoc") or "/usr/bin/protoc"
        if build_dir:
            out = Path(build_dir)
        else:
            out = Path(tempfile.mkdtemp(prefix="leadscore-pb2-"))
            atexit.register(shutil.rmtree, out, True)
        out.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [protoc, f"-I{REPO / 'proto'}", f"-I{protoc_include()}", f"--python_out={out}", str(_PROTO)],
            capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise LeadscoreError(f"protoc failed:\n{proc.stderr}")
        # protoc writes out/leadscore/v1/scoring_pb2.py; load it under a
        # private package name so it cannot clash with anything installed.
        path = out / "leadscore" / "v1" / "scoring_pb2.py"
        spec = importlib.util.spec_from_file_location("leadscore_v1_scoring_pb2", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _pb2 = mod
        return mod


def _ts(value):
    """A google.protobuf.Timestamp from a datetime, pandas Timestamp or ISO string."""
    from google.protobuf import timestamp_pb2
    t = pd.Timestamp(value)
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    msg = timestamp_pb2.Timestamp()
    msg.FromDatetime(t.tz_convert("UTC").to_pydatetime().replace(tzinfo=None))
    return msg


#: Lead columns that are not attributes of the lead: identity, outcome and
#: anything known only after the lead closed.
NOT_ATTRIBUTES = frozenset({"lead_id", "account_id", "created_at", "outcome", "closed_at", "amount"})


def lead_from_record(record, events: pd.DataFrame | None = None, attributes=None):
    """A leadscore.v1.Lead from one row of the leads table (a pandas Series
    or dict) and, optionally, that lead's rows of the events table.

    attributes limits the attributes sent (default: every column except
    NOT_ATTRIBUTES), in that order, each name once; missing values are
    left out.
    """
    m = pb2()
    rec = dict(record)
    lead = m.Lead(id=str(rec["lead_id"]))
    if rec.get("account_id") is not None and not pd.isna(rec.get("account_id")):
        lead.account_id = str(rec["account_id"])
    lead.created_at.CopyFrom(_ts(rec["created_at"]))
    names = attributes if attributes is not None else [k for k in rec if k not in NOT_ATTRIBUTES]
    for k in names:
        v = rec.get(k)
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        if isinstance(v, (bool, np.bool_)):
            lead.attributes.add(name=k, bool_value=bool(v))
        elif isinstance(v, (int, float, np.integer, np.floating)):
            lead.attributes.add(name=k, number_value=float(v))
        elif isinstance(v, (pd.Timestamp, datetime)):
            lead.attributes.add(name=k).timestamp_value.CopyFrom(_ts(v))
        elif isinstance(v, str) and v.lower() in ("true", "false"):
            lead.attributes.add(name=k, bool_value=v.lower() == "true")
        else:
            lead.attributes.add(name=k, string_value=str(v))
    if events is not None:
        for ev in events.itertuples(index=False):
            e = lead.events.add(type=str(ev.type))
            e.ts.CopyFrom(_ts(ev.ts))
            val = getattr(ev, "value", None)
            if val is not None and not pd.isna(val):
                e.value = float(val)
    return lead


class Client:
    """A client of leadscore.v1.LeadScoring over one insecure loopback
    channel. Every call has a deadline (timeout seconds)."""

    def __init__(self, target: str, timeout: float = 10.0):
        import grpc
        self.m = pb2()
        self.timeout = timeout
        self.channel = grpc.insecure_channel(target)
        m = self.m

        def unary(method, req, resp):
            return self.channel.unary_unary(_SERVICE + method, request_serializer=req.SerializeToString,
                                            response_deserializer=resp.FromString)

        self._predict = unary("Predict", m.PredictRequest, m.PredictResponse)
        self._batch = unary("PredictBatch", m.PredictBatchRequest, m.PredictBatchResponse)
        self._list = unary("ListModels", m.ListModelsRequest, m.ListModelsResponse)
        self._get = unary("GetModel", m.GetModelRequest, m.ModelInfo)
        # grpc.health.v1.Health/Check, encoded by hand: the request is
        # {service: ""} (empty bytes), the response {status: SERVING} is
        # field 1 varint 1.
        self._health = self.channel.unary_unary("/grpc.health.v1.Health/Check",
                                                request_serializer=lambda b: b,
                                                response_deserializer=lambda b: b)

    def close(self):
        """Close the channel."""
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def healthy(self, timeout: float = 2.0) -> bool:
        """Whether the server's overall health status is SERVING."""
        import grpc
        try:
            return self._health(b"", timeout=timeout) == b"\x08\x01"
        except grpc.RpcError:
            return False

    def predict(self, lead, model: str = "", explain: bool = False, max_reasons: int = 0,
                use_rules: bool = False, request_id: str = ""):
        """Predict one lead; returns the leadscore.v1.Prediction."""
        req = self.m.PredictRequest(lead=lead, model=model, explain=explain, max_reasons=max_reasons,
                                    use_rules=use_rules, request_id=request_id)
        return self._predict(req, timeout=self.timeout).prediction

    def predict_batch(self, leads, model: str = "", explain: bool = False, max_reasons: int = 0,
                      use_rules: bool = False):
        """Predict many leads in one call; returns the list of Predictions in
        request order."""
        req = self.m.PredictBatchRequest(leads=list(leads), model=model, explain=explain,
                                         max_reasons=max_reasons, use_rules=use_rules)
        return list(self._batch(req, timeout=self.timeout).predictions)

    def list_models(self):
        """The ListModelsResponse: models, default_model, rules_loaded."""
        return self._list(self.m.ListModelsRequest(), timeout=self.timeout)

    def get_model(self, name: str):
        """The ModelInfo of one served model."""
        return self._get(self.m.GetModelRequest(name=name), timeout=self.timeout)

    def stage_name(self, stage: int) -> str:
        """"SQL" for STAGE_SQL, and so on."""
        return self.m.Stage.Name(stage).removeprefix("STAGE_")

    def source_name(self, source: int) -> str:
        """"MODEL" for SOURCE_MODEL, and so on."""
        return self.m.Source.Name(source).removeprefix("SOURCE_")

    def group_name(self, group: int) -> str:
        """"FIT" for FEATURE_GROUP_FIT, and so on."""
        return self.m.FeatureGroup.Name(group).removeprefix("FEATURE_GROUP_")

    def predictions_frame(self, predictions) -> pd.DataFrame:
        """One row per prediction, with readable stage and source names."""
        return pd.DataFrame([{
            "lead_id": p.lead_id, "probability": p.probability, "score": p.score,
            "stage": self.stage_name(p.stage), "fit_score": p.fit_score,
            "engagement_score": p.engagement_score, "model": p.model_name,
            "version": p.model_version, "source": self.source_name(p.source),
            "fallback_reason": p.fallback_reason, "warnings": len(p.warnings),
        } for p in predictions])

    def reasons_frame(self, prediction) -> pd.DataFrame:
        """The reasons of one prediction as a table."""
        return pd.DataFrame([{
            "feature": r.feature, "value": r.value, "contribution": r.contribution,
            "group": self.group_name(r.group),
        } for r in prediction.reasons])


def _die_with_parent():
    """In the child before exec: ask Linux to SIGTERM it when the process
    that started it (a notebook kernel, a test) dies, so that a crashed or
    killed kernel cannot leave a server behind. No-op elsewhere."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on host a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """`leadscore serve` on free loopback ports, as a context manager.

    start() waits (at most start_timeout seconds) until the health service
    answers SERVING; stop() sends SIGTERM, then SIGKILL after stop_timeout.
    Use it in a with block, or call stop() in a finally.
    """

    models: str
    rules: str | None = None
    start_timeout: float = 60.0
    stop_timeout: float = 10.0
    extra: tuple = ()

    def __post_init__(self):
        self.proc = None
        self.addr = None
        self.metrics_addr = None
        self._log = None

    def start(self) -> "Server":
        """Start the server and wait until it is healthy."""
        last = None
        for _ in range(3):  # a port taken between free_port and bind: retry
            try:
                self._start_once()
                return self
            except LeadscoreError as e:
                last = e
                self.stop()
                if "address already in use" not in str(e):
                    raise
        raise last

    def _start_once(self):
        self.addr = f"127.0.0.1:{free_port()}"
        self.metrics_addr = f"127.0.0.1:{free_port()}"
        args = [str(binary()), "serve", "--models", str(self.models), "--addr", self.addr,
                "--metrics-addr", self.metrics_addr]
        if self.rules:
            args += ["--rules", str(self.rules)]
        args += list(self.extra)
        self._log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        atexit.register(self.stop)
        deadline = time.monotonic() + self.start_timeout
        with Client(self.addr, timeout=2.0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise LeadscoreError(f"leadscore serve exited {self.proc.returncode}:\n{self.output()}")
                if c.healthy(timeout=1.0):
                    return
                time.sleep(0.1)
        raise LeadscoreError(f"leadscore serve not healthy after {self.start_timeout}s:\n{self.output()}")

    def output(self) -> str:
        """What the server has printed so far (stdout and stderr)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        text = self._log.read()
        self._log.seek(0, io.SEEK_END)
        return text

    def client(self, timeout: float = 10.0) -> Client:
        """A new Client of this server."""
        return Client(self.addr, timeout=timeout)

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL) and return its exit code.
        Safe to call twice, or when start failed."""
        p, self.proc = self.proc, None
        atexit.unregister(self.stop)
        code = None
        if p is not None:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=self.stop_timeout)
            code = p.returncode
        return code

    def __enter__(self) -> "Server":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None


def kernel_check():
    """Raise unless this kernel runs Debian's /usr/bin/python3 (the
    notebooks rely on Debian's pandas, matplotlib and grpcio)."""
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        raise LeadscoreError(f"this kernel runs {sys.executable}, want /usr/bin/python3: "
                             "run with --ExecutePreprocessor.kernel_name=python3 from /usr/bin/jupyter")
    return sys.executable


def work_dir(name: str) -> Path:
    """A directory for a notebook's files: $LEADSCORE_NB_OUT/name (default
    REPO/out/notebooks/work/name; out/ is git-ignored)."""
    base = Path(os.environ.get("LEADSCORE_NB_OUT", REPO / "out" / "notebooks" / "work"))
    d = base / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def history_dir() -> Path:
    """The history the notebooks use: $LEADSCORE_HISTORY, else REPO/demo/history
    (the one `make run` writes)."""
    return Path(os.environ.get("LEADSCORE_HISTORY", REPO / "demo" / "history"))

