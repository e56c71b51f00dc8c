"""Summary statistics of the churn data set."""

import sys

import pandas as pd


def main(path: str) -> None:
    df = pd.read_csv(path)
    print(df.describe(include="all").T)
    print(df.groupby("contract")["churn"].mean())


if __name__ == "__main__":
    main(sys.argv[1])
