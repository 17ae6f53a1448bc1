"""Access cases for the privacy notice and the subject-access exports."""

from tests.access import Case, expect

CASES = [
    Case("GET", lambda w: "/privacy", expect(200), note="privacy notice"),
    Case("GET", lambda w: f"/admin/privacy/technicians/{w.technician_own.id}/export",
         expect(404, anonymous=302, admin=200), note="export a KG technician's data"),
    Case("GET", lambda w: f"/admin/privacy/users/{w.other_user.id}/export",
         expect(404, anonymous=302, admin=200), note="export a KG account's data"),
]
