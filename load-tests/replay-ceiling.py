#!/usr/bin/python3
"""What the bank-full columns known before a call can tell, offline (issue 33's goal in context).

`kairos replay` scores the live decision path row by row in time order, each call scored before
its answer is known (progressive validation). This script asks how far any model could go on
the same columns with far more help: a gradient-boosted tree ensemble (scikit-learn's
HistGradientBoostingClassifier) scored by 5-fold cross-validation over shuffled rows, so each
row's model has learnt from four fifths of all the rows, those after it included. It reads the
same columns the live path reads (the client's profile; the call's contact, campaign, pdays,
previous, poutcome; the day and month), never `duration` (known only after the call) and
prints the same figures as the replay: the AUC over all rows and `wm_auc`, the AUC within each
calendar month weighted by its rows (months as the replay counts them: the year turns when the
month goes back), for all rows and for the first 15,000. A second model also reads each row's
position in time (its row number), so it knows each month's and each day's response rate from
the rows around it: the drift that an online model can only follow.

Run: `npm run bench:replay-ceiling` (or `/usr/bin/python3 load-tests/replay-ceiling.py FILE`).
Needs Debian's scikit-learn and pandas: `apt-get install python3-sklearn python3-pandas`.
Deterministic (fixed seeds). The last line:
`replay-ceiling: rows=N auc=A wm_auc=W first_auc=A1 first_wm_auc=W1 t_auc=TA t_wm_auc=TW t_first_wm_auc=TW1`.
"""
import sys

USAGE = "usage: /usr/bin/python3 load-tests/replay-ceiling.py [BANK_FULL_CSV] (default ../shared/data/bank-full.csv)"

if any(a in ("-h", "--help") for a in sys.argv[1:]):
    print(__doc__)
    print(USAGE)
    sys.exit(0)

try:
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import KFold
except ImportError as e:
    sys.exit(f"replay-ceiling: {e.name} is missing: install Debian's packages with `apt-get install python3-sklearn python3-pandas` and run this with /usr/bin/python3")

SETTINGS_ROWS = 15000
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
CATEGORIES = ["job", "marital", "education", "default", "housing", "loan", "contact", "poutcome"]
COLUMNS = ["age", "job", "marital", "education", "default", "balance", "housing", "loan", "contact", "day", "month_no", "campaign", "pdays", "previous", "poutcome"]


def read(path):
    try:
        df = pd.read_csv(path, sep=";")
    except OSError as e:
        sys.exit(f"replay-ceiling: {path}: {e.strerror}")
    missing = [c for c in ["y", "month", "day", *CATEGORIES, "age", "balance", "campaign", "pdays", "previous"] if c not in df.columns]
    if missing:
        sys.exit(f"replay-ceiling: {path}: no {', '.join(missing)} column")
    month = df.month.map(MONTHS.index)
    year = 2008 + (month.diff().fillna(0) < 0).cumsum()
    df["ym"] = year.astype(str) + "-" + (month + 1).astype(str).str.zfill(2)
    df["month_no"] = month
    df["label"] = (df.y == "yes").astype(int)
    return df


def within_month_auc(scores, df):
    total = 0.0
    weight = 0
    for _, g in df.groupby("ym"):
        if g.label.nunique() < 2:
            continue
        total += roc_auc_score(g.label, scores[g.index]) * len(g)
        weight += len(g)
    return total / weight


def cross_validated(df, with_time):
    x = df[COLUMNS].copy()
    for c in CATEGORIES:
        x[c] = x[c].astype("category").cat.codes
    if with_time:
        x["row"] = np.arange(len(df))
    categorical = [x.columns.get_loc(c) for c in CATEGORIES]
    values = x.values
    scores = np.zeros(len(df))
    for train, test in KFold(5, shuffle=True, random_state=1).split(values):
        model = HistGradientBoostingClassifier(max_iter=400, learning_rate=0.03, categorical_features=categorical, random_state=1)
        model.fit(values[train], df.label.values[train])
        scores[test] = model.predict_proba(values[test])[:, 1]
    return scores


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/bank-full.csv"
    df = read(path)
    first = df.iloc[:SETTINGS_ROWS]
    out = {"rows": len(df)}
    for prefix, with_time in (("", False), ("t_", True)):
        scores = cross_validated(df, with_time)
        # the first rows' own cross-validation: as the replay's first rows, nothing after them known
        first_scores = cross_validated(first, with_time)
        out[f"{prefix}auc"] = roc_auc_score(df.label, scores)
        out[f"{prefix}wm_auc"] = within_month_auc(scores, df)
        out[f"{prefix}first_auc"] = roc_auc_score(first.label, first_scores)
        out[f"{prefix}first_wm_auc"] = within_month_auc(first_scores, first)
        print(f"{'with the row position' if with_time else 'the columns alone'}: auc {out[prefix + 'auc']:.4f}, wm_auc {out[prefix + 'wm_auc']:.4f}; "
              f"first {SETTINGS_ROWS} rows alone: auc {out[prefix + 'first_auc']:.4f}, wm_auc {out[prefix + 'first_wm_auc']:.4f}", flush=True)
    keys = ["rows", "auc", "wm_auc", "first_auc", "first_wm_auc", "t_auc", "t_wm_auc", "t_first_wm_auc"]
    print("replay-ceiling: " + " ".join(f"{k}={out[k]}" if k == "rows" else f"{k}={out[k]:.4f}" for k in keys))


main()
