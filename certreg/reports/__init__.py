"""Reports: Article 7 figures in metric, ODP and CO2-equivalent tonnes, ranked anomalies, dashboards, exports."""
