"""Imports every feature's models, so the metadata (and Alembic) sees all tables."""

from certreg.audit import models as audit_models  # noqa: F401
from certreg.auth import models as auth_models  # noqa: F401
from certreg.certificates import models as certificates_models  # noqa: F401
from certreg.countries import models as countries_models  # noqa: F401
from certreg.cylinders import models as cylinders_models  # noqa: F401
from certreg.federation import models as federation_models  # noqa: F401
from certreg.focalpoints import models as focalpoints_models  # noqa: F401
from certreg.inspections import models as inspections_models  # noqa: F401
from certreg.keys import models as keys_models  # noqa: F401
from certreg.licences import models as licences_models  # noqa: F401
from certreg.logbook import models as logbook_models  # noqa: F401
from certreg.notify import models as notify_models  # noqa: F401
from certreg.quotas import models as quotas_models  # noqa: F401
from certreg.registry import models as registry_models  # noqa: F401
from certreg.reports import models as reports_models  # noqa: F401
from certreg.shipments import models as shipments_models  # noqa: F401
from certreg.substances import models as substances_models  # noqa: F401
