"""The ADR P200 (3) filling-ratio calculation for the substances of ``filling_ratios.csv``.

Writes ``certreg/cylinders/data/p200_calculation.csv``: for each substance CoolProp knows, the
figures P200 (3) asks for, computed from CoolProp's reference equations of state:

* a low pressure liquefied gas (critical temperature above 65 °C): the filling ratio may not
  exceed 0.95 × the density of the liquid phase at 50 °C, and the liquid may not fill the
  receptacle at 60 °C (so not above the liquid density at 60 °C); the test pressure is at
  least the vapour pressure at 65 °C less 1 bar, and at least 10 bar;
* a high pressure liquefied gas (critical temperature from -50 °C to 65 °C): the settled
  pressure at 65 °C may not exceed the test pressure, so the filling ratio is at most the
  density at 65 °C and the test pressure of the row.

``tests/cylinders/test_numbers_and_ratios.py`` checks the table's figures against these, and the
rows marked ``calculated`` (mixtures P200 lists only under an n.o.s. entry) are taken from here.

CoolProp is not a dependency of certreg: run this with a Python that has it
(``python -m venv /tmp/cp && /tmp/cp/bin/pip install coolprop``; figures below from CoolProp 8.0.0)::

    /tmp/cp/bin/python scripts/p200_calculation.py
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import CoolProp
from CoolProp.CoolProp import PropsSI

DATA = Path(__file__).resolve().parent.parent / "certreg" / "cylinders" / "data"
#: catalogue code -> CoolProp fluid name
FLUIDS = {
    "CFC-12": "R12", "CFC-13": "R13", "CFC-114": "R114", "CFC-115": "R115", "HCFC-22": "R22", "HCFC-124": "R124",
    "HCFC-142b": "R142b", "HFC-23": "R23", "HFC-32": "R32", "HFC-125": "R125", "HFC-134a": "R134a",
    "HFC-143a": "R143a", "HFC-152a": "R152a", "HFC-227ea": "R227EA", "R-404A": "R404A", "R-407C": "R407C",
    "R-410A": "R410A", "R-507A": "R507A", "R-1234yf": "R1234yf", "R-1234ze(E)": "R1234ze(E)", "R-290": "Propane",
    "R-600": "n-Butane", "R-600a": "IsoButane", "R-1270": "Propylene", "R-717": "Ammonia", "R-744": "CarbonDioxide",
}
K = 273.15
ATMOSPHERE_BAR = 1.01325


def row(code: str, fluid: str, test_pressure_bar: int | None) -> dict[str, str]:
    critical = PropsSI("Tcrit", fluid) - K
    out = {"substance_code": code, "coolprop_fluid": fluid, "critical_temperature_c": f"{critical:.2f}"}
    if critical > 65:
        rho50 = PropsSI("D", "T", K + 50, "Q", 0, fluid) / 1000
        rho60 = PropsSI("D", "T", K + 60, "Q", 0, fluid) / 1000
        p65 = PropsSI("P", "T", K + 65, "Q", 0, fluid) / 1e5
        ratio = min(0.95 * rho50, rho60)
        out.update(kind="low_pressure", liquid_density_50c=f"{rho50:.4f}", liquid_density_60c=f"{rho60:.4f}",
                   vapour_pressure_65c_bar=f"{p65:.2f}", max_filling_ratio=f"{ratio:.4f}",
                   min_test_pressure_bar=str(max(10, math.ceil(p65 - 1))))
    else:
        # the density at 65 °C at which the pressure (absolute) is the test pressure (gauge)
        rho65 = PropsSI("D", "T", K + 65, "P", (test_pressure_bar + ATMOSPHERE_BAR) * 1e5, fluid) / 1000
        out.update(kind="high_pressure", liquid_density_50c="", liquid_density_60c="", vapour_pressure_65c_bar="",
                   max_filling_ratio=f"{rho65:.4f}", min_test_pressure_bar=str(test_pressure_bar))
    return out


def main() -> None:
    with (DATA / "filling_ratios.csv").open(encoding="utf-8", newline="") as f:
        pressures = {r["substance_code"]: int(r["test_pressure_bar"]) for r in csv.DictReader(f)}
    rows = [row(code, fluid, pressures.get(code)) for code, fluid in FLUIDS.items()]
    with (DATA / "p200_calculation.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(f"# ADR P200 (3) calculation, scripts/p200_calculation.py, CoolProp {CoolProp.__version__}\n")
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
