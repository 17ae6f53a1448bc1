"""``flask shipments expect|check|decide|list|ipic-ask|licensees``."""

from __future__ import annotations

import json

from tests.shipments.builders import TODAY, importer_with_licence


def test_expect_check_ask_and_release(app):
    company = importer_with_licence()[0]
    runner = app.test_cli_runner()
    args = ["shipments", "expect", "--country", "KZ", "--declaration", "DT-CLI-1", "--importer",
            company.registration_number, "--hs", "2903.71", "--substance", "HCFC-22", "--kg", "25", "--licence",
            "KZ-IMP-1", "--exporter", "Zhejiang Chem Co", "--exporting-country", "CN", "--origin-country", "CN",
            "--transport", "road", "--border-post", "Khorgos", "--expected-on", TODAY.isoformat()]
    wrong = runner.invoke(args=[*args[:-1], "not-a-date"])
    assert wrong.exit_code == 1 and "invalid_date" in wrong.output
    made = runner.invoke(args=args)
    assert made.exit_code == 0, made.output
    shipment_id = made.output.split("\t")[0]
    check = runner.invoke(args=["shipments", "check", shipment_id])
    assert check.exit_code == 1 and "ipic\tREFUSED\tipic_not_confirmed" in check.output
    assert "suggestion\theld" in check.output
    refused = runner.invoke(args=["shipments", "decide", shipment_id, "--decision", "released"])
    assert refused.exit_code == 1 and "border_check_failed" in refused.output
    asked = runner.invoke(args=["shipments", "ipic-ask", "--from", "CN", "--to", "KZ", "--importer",
                                company.registration_number, "--substance", "HCFC-22", "--kg", "50"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)["answer"] == "yes"
    assert runner.invoke(args=["shipments", "check", shipment_id]).exit_code == 0
    released = runner.invoke(args=["shipments", "decide", shipment_id, "--decision", "released"])
    assert released.exit_code == 0 and "\treleased\t" in released.output
    assert "DT-CLI-1" in runner.invoke(args=["shipments", "list", "--country", "KZ"]).output
    listed = json.loads(runner.invoke(args=["shipments", "licensees", "--country", "KZ"]).output)
    assert listed["licensees"][0]["licence"] == "KZ-IMP-1"
