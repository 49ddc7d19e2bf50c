"""Permission matrix rows of the 任免审批表 interop (issue 21): importing (upload, history, a
batch's preview and commit) needs ``edit_registry``, checked before the batch is looked up;
the LRMX downloads (a cadre's file, a unit's zip, the photo), on the pages and in the API, are
for every role that may read the cadre or unit (masked ID numbers for the roles that may not
see them, tested in tests/interop). ``build`` gives every unit a batch of its cadre's own file
and its cadre a photo."""

from cadres.models import CadreFacts
from interop import exports, services
from interop.models import LrmxBatch
from tests.permissions.test_permission_matrix import GET, Row, W, obj, url

EDIT = "edit_registry"


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buf, "JPEG")
    return buf.getvalue()


ROWS = {
    "interop:batches": Row(url("interop:batches"), {"GET": W(EDIT)}, scoped=False),
    # an empty form names no file: shown again with the message (400)
    "interop:upload": Row(url("interop:upload"), {"GET": W(EDIT), "POST": W(EDIT, 400)}, scoped=False),
    "interop:batch": Row(url("interop:batch", obj("lrmx_batches")), {"GET": W(EDIT, role_first=True)}),
    "interop:batch_commit": Row(
        url("interop:batch_commit", obj("lrmx_batches")), {"POST": W(EDIT, 302, role_first=True)}
    ),
    "interop:cadre_lrmx": Row(url("interop:cadre_lrmx", obj("cadres")), GET),
    "interop:cadre_photo": Row(url("interop:cadre_photo", obj("cadres")), GET),
    "interop:unit_lrmx": Row(url("interop:unit_lrmx", obj("units")), GET),
    "cadre-lrmx": Row(url("cadre-lrmx", obj("cadres")), GET),
    "unit-lrmx": Row(url("unit-lrmx", obj("units")), GET),
}

COUNTED = [LrmxBatch, CadreFacts]


def build(world) -> None:
    root = world.users["root"]
    for cadre in world.cadres.values():
        CadreFacts.objects.update_or_create(
            cadre=cadre, defaults={"photo": _jpeg(), "native_place": "湖南长沙"}
        )
    world.lrmx_batches = {
        key: services.batch_create(
            actor=root,
            unit=cadre.unit,
            files=[(exports.filename(cadre), exports.cadre_lrmx(root, cadre))],
        )
        for key, cadre in world.cadres.items()
    }
