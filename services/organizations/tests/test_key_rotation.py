"""Personal data at rest against the real service: a ciphertext copied into another person's row
is never shown, and `gongjian keys rotate` re-encrypts while the service keeps serving."""

import asyncio
import base64
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gongjian_deploy import cli
from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.infra import database_url, free_port, stop_process, wait_for_port
from gongjian_deploy.pytest_plugin import CREATE_AREA, District, token_for
from gongjian_deploy.stack import ROOT, Stack
from gongjian_kit.personal_data import PersonalDataProtector, mask_phone, new_key
from gongjian_organizations.domain.people import id_check_char, mask_id_number

pytestmark = pytest.mark.integration

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id idNumber phone } errors { field code message } } }"""
PERSON = """query($id: ID!) { person(id: $id) { idNumber phone personalDataVisible } }"""
PEOPLE = """{ people(first: 100) { totalCount edges { node { id idNumber phone } } } }"""

_serial = iter(range(1, 999))


def resident_id(region: str) -> str:
    born = date(1960, 1, 1) + timedelta(days=next(_serial) * 37)
    body = f"{region}{born:%Y%m%d}{next(_serial):03d}"
    return body + id_check_char(body)


def phone() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


def register(client: GraphQLClient, area: str) -> tuple[str, str, str]:
    number, mobile = resident_id(area[:6]), phone()
    result = client.data(
        REGISTER, {"i": {"name": "测试", "idNumber": number, "phone": mobile, "areaCode": area}}
    )["registerPerson"]
    assert result["errors"] == [], result
    assert (result["person"]["idNumber"], result["person"]["phone"]) == (number, mobile)
    return result["person"]["id"], number, mobile


async def sql(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def unreadable_count(service_url: str, field: str) -> float:
    metrics = httpx.get(service_url.replace("/graphql", "/metrics"), timeout=5).text
    line = f'gongjian_personal_data_unreadable_total{{field="{field}"}} '
    found = [float(x.split()[-1]) for x in metrics.splitlines() if x.startswith(line)]
    return found[0] if found else 0.0


async def test_a_ciphertext_copied_into_another_persons_row_is_never_shown(district: District):
    area = district.communities[0]
    alice, alice_number, alice_phone = register(district.admin, area)
    bob, bob_number, bob_phone = register(district.admin, area)
    url = district.stack.database("organizations")
    saved = (await sql(url, "SELECT id_number_enc, phone_enc FROM person WHERE id = $1", bob))[0]
    before = unreadable_count(district.stack.service_url("organizations"), "idNumber")
    await sql(
        url,
        "UPDATE person SET (id_number_enc, phone_enc) = "
        "(SELECT id_number_enc, phone_enc FROM person WHERE id = $1) WHERE id = $2",
        uuid.UUID(alice),
        uuid.UUID(bob),
    )
    seen = district.admin.data(PERSON, {"id": bob})["person"]
    # Not Alice's number, and not Bob's either: his masked values, as if not allowed.
    assert seen["idNumber"] == mask_id_number(bob_number) != alice_number
    assert seen["phone"] == mask_phone(bob_phone) != alice_phone
    assert alice_number not in str(seen)
    assert alice_phone not in str(seen)
    # …and the operator can see it happen.
    after = unreadable_count(district.stack.service_url("organizations"), "idNumber")
    assert after == before + 1
    # Alice's own row is untouched; Bob's reads again once his own ciphertexts are back.
    assert district.admin.data(PERSON, {"id": alice})["person"]["idNumber"] == alice_number
    await sql(
        url,
        "UPDATE person SET id_number_enc = $2, phone_enc = $3 WHERE id = $1",
        uuid.UUID(bob),
        saved["id_number_enc"],
        saved["phone_enc"],
    )
    seen = district.admin.data(PERSON, {"id": bob})["person"]
    assert (seen["idNumber"], seen["phone"]) == (bob_number, bob_phone)


def test_the_service_refuses_to_start_with_a_malformed_key():
    short = base64.b64encode(os.urandom(16)).decode()
    env = {
        **os.environ,
        "PERSONAL_DATA_KEY": short,
        "PERSONAL_DATA_HMAC_KEY": new_key(),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gongjian_organizations"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "PERSONAL_DATA_KEY must decode to 32 bytes, not 16" in done.stderr
    assert short not in done.stderr + done.stdout


@dataclass
class Organizations:
    """An organizations process of this test's own: its database, topics and keys."""

    infra: Stack
    database: str
    namespace: str
    workdir: Path

    @contextmanager
    def running(self, keys: dict[str, str]) -> Iterator[GraphQLClient]:
        port = free_port()
        env = {
            **self.infra.service_env("organizations"),
            "PORT": str(port),
            "DATABASE_URL": self.database,
            "TOPIC_NAMESPACE": self.namespace,
            "PERSONAL_DATA_OLD_KEYS": "",
            **keys,
        }
        with open(self.workdir / f"organizations-{port}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gongjian_organizations"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = GraphQLClient(
            f"http://127.0.0.1:{port}/graphql",
            token_for(self.infra, "DISTRICT_ADMIN", AREA),
        )
        try:
            wait_for_port("127.0.0.1", port, 90, "organizations", process)
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            yield client
        finally:
            client.close()
            stop_process(process)


AREA = "330198000000"


def wait_ready(url: str, timeout_s: float = 60) -> None:
    for _ in range(int(timeout_s * 10)):
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture
def own_organizations(infra: Stack, tmp_path: Path) -> Iterator[Organizations]:
    name = f"gjtest_keys_{uuid.uuid4().hex[:10]}"
    asyncio.run(sql(infra.server_url, f'CREATE DATABASE "{name}"'))
    namespace = f"{infra.config.topic_namespace}keys{secrets.token_hex(3)}."
    try:
        yield Organizations(infra, database_url(infra.server_url, name), namespace, tmp_path)
    finally:
        asyncio.run(sql(infra.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def legacy_blob(key: str, value: str, field: str) -> bytes:
    """A ciphertext as written before key versions: nonce + ciphertext, bound to the field."""
    nonce = os.urandom(12)
    return nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, value.encode(), field.encode())


def rotate(capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["keys", "rotate", "--database-url", url, "--batch-size", "7"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_keys_rotate_reencrypts_while_the_service_serves(
    own_organizations: Organizations,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    old, new, hmac_key = new_key(), new_key(), new_key()
    db = own_organizations.database
    expected: dict[str, tuple[str, str]] = {}
    # Version 1 deployed (the key every existing deployment has), people registered under it.
    v1 = {
        "PERSONAL_DATA_KEY": old,
        "PERSONAL_DATA_KEY_VERSION": "1",
        "PERSONAL_DATA_HMAC_KEY": hmac_key,
    }
    with own_organizations.running(v1) as client:
        assert not client.data(CREATE_AREA, {"i": {"code": AREA, "name": "轮换区"}})["createArea"][
            "errors"
        ]
        for _ in range(24):
            person, number, mobile = register(client, AREA)
            expected[person] = (number, mobile)
        # One row as the code before key versions wrote it: still read by the service.
        legacy_id = next(iter(expected))
        number, mobile = expected[legacy_id]
        asyncio.run(
            sql(
                db,
                "UPDATE person SET id_number_enc = $2, phone_enc = $3 WHERE id = $1",
                uuid.UUID(legacy_id),
                legacy_blob(old, number, "idNumber"),
                legacy_blob(old, mobile, "phone"),
            )
        )
        assert client.data(PERSON, {"id": legacy_id})["person"]["idNumber"] == number

    # The new key deployed as current, the old one still readable; then rotate while it serves.
    v2 = {
        "PERSONAL_DATA_KEY": new,
        "PERSONAL_DATA_KEY_VERSION": "2",
        "PERSONAL_DATA_OLD_KEYS": f"1:{old}",
        "PERSONAL_DATA_HMAC_KEY": hmac_key,
    }
    for name, value in v2.items():
        monkeypatch.setenv(name, value)
    protector = PersonalDataProtector(new, hmac_key, key_version=2, old_keys=f"1:{old}")

    def versions() -> dict[int, int]:
        rows = asyncio.run(sql(db, "SELECT id_number_enc, phone_enc FROM person"))
        found: dict[int, int] = {}
        for row in rows:
            for blob in (row["id_number_enc"], row["phone_enc"]):
                version = protector.version_of(bytes(blob))
                found[version] = found.get(version, 0) + 1
        return found

    with own_organizations.running(v2) as client:
        person, number, mobile = register(client, AREA)  # written under version 2
        expected[person] = (number, mobile)
        assert versions() == {0: 2, 1: 46, 2: 2}

        reads, problems, done = [0], [], threading.Event()

        def read_all_the_time() -> None:
            while not done.is_set():
                edges = client.data(PEOPLE)["people"]["edges"]
                nodes = [e["node"] for e in edges]
                shown = {n["id"]: (n["idNumber"], n["phone"]) for n in nodes}
                if shown != expected:
                    problems.append(shown)
                reads[0] += 1

        reader = threading.Thread(target=read_all_the_time)
        reader.start()
        try:
            while not reads[0] and reader.is_alive():
                time.sleep(0.01)  # reading before the rotation starts, and all through it
            code, out, err = rotate(capsys, db)
        finally:
            done.set()
            reader.join(30)
        assert (code, err) == (0, ""), out + err
        assert "batch 4: re-encrypted 3 (total 24)" in out, out
        assert "re-encrypted 24 people to key version 2 in 4 batches; 0 could not" in out
        assert problems == [], problems[:1]
        assert reads[0] > 0
        assert versions() == {2: 50}
        # The admin still sees every number in clear, the right one for each person.
        for person, (number, mobile) in expected.items():
            seen = client.data(PERSON, {"id": person})["person"]
            assert seen == {"idNumber": number, "phone": mobile, "personalDataVisible": True}

        # Idempotent: a second run has nothing to do.
        code, out, _ = rotate(capsys, db)
        assert code == 0
        assert "re-encrypted 0 people to key version 2 in 0 batches" in out, out

        # A row holding another person's ciphertext is reported, left alone, and never shown.
        first, second = list(expected)[1:3]
        copied = PersonalDataProtector(old, hmac_key).encrypt(
            expected[first][0], "idNumber", uuid.UUID(first)
        )
        asyncio.run(
            sql(db, "UPDATE person SET id_number_enc = $2 WHERE id = $1", uuid.UUID(second), copied)
        )
        code, out, err = rotate(capsys, db)
        assert code == 1
        assert f"not re-encrypted: person {second}: cannot decrypt idNumber" in err
        assert expected[first][0] not in out + err
        assert "re-encrypted 0 people" in out
        assert "1 could not be decrypted" in out
        assert client.data(PERSON, {"id": second})["person"]["idNumber"] == mask_id_number(
            expected[second][0]
        )
