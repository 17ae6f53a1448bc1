from tests.access import Case, expect

READERS = expect(403, anonymous=302, admin=200, auditor=200, kz_admin=200)

CASES = [
    Case("GET", lambda w: "/audit", READERS, note="audit trail"),
    Case("GET", lambda w: "/audit?action=technician.&date_from=2020-01-01", READERS, note="audit trail filtered"),
    Case("GET", lambda w: "/audit/export.csv", READERS, note="audit export csv"),
    Case("GET", lambda w: "/audit/export.xlsx", READERS, note="audit export xlsx"),
    Case("GET", lambda w: "/api/v1/audit", expect(403, anonymous=401, admin=200, auditor=200, kz_admin=200),
         api=True, note="api audit"),
]
