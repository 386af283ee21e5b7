"""The counting officers' panel at unit level: any k of n open the box, no k − 1 do."""
import itertools

import nacl.exceptions
import pytest
from Crypto.Protocol.SecretSharing import Shamir
from nacl.public import PrivateKey

from survey_app.ballots import keys, sealing

PANELS = [(k, n) for n in range(1, 6) for k in range(1, min(n, 3) + 1)]


def _officers(n):
    return [keys.Officer(f"officer {i}", f"passphrase of officer {i}") for i in range(1, n + 1)]


@pytest.mark.parametrize("k, n", PANELS, ids=[f"{k}-of-{n}" for k, n in PANELS])
def test_any_k_officers_open_the_box_and_no_k_minus_1_do(k, n):
    private = PrivateKey.generate()
    panel = keys.seal_panel(private, _officers(n), k, "interactive")
    assert panel.threshold == k and [o.position for o in panel.officers] == list(range(1, n + 1))
    assert panel.public_key == bytes(private.public_key)
    # Each officer's share opens with their own passphrase only (argon2id once per officer here).
    shares = {o.position: (o.share_index, keys.open_share(o, f"passphrase of officer {o.position}"))
              for o in panel.officers}
    assert len({s for _i, s in shares.values()}) == (1 if k == 1 else n)  # k = 1: every share is the secret
    box_of = keys._panel_box
    for subset in itertools.combinations(shares, k):
        secret = Shamir.combine([shares[p] for p in subset])
        assert box_of(secret).decrypt(panel.sealed_private_key) == bytes(private)
    for subset in itertools.combinations(shares, k - 1):
        if not subset:
            continue
        secret = Shamir.combine([shares[p] for p in subset])
        with pytest.raises(nacl.exceptions.CryptoError):
            box_of(secret).decrypt(panel.sealed_private_key)
    # Through the public function: one k-subset opens, every (k − 1)-subset is refused unopened.
    subset = list(range(n - k + 1, n + 1))
    opened = keys.recover(panel, {p: f"passphrase of officer {p}" for p in subset})
    assert bytes(opened) == bytes(private)
    with pytest.raises(keys.TooFewOfficers) as refused:
        keys.recover(panel, {p: f"passphrase of officer {p}" for p in subset[1:]})
    assert (refused.value.needed, refused.value.given) == (k, k - 1)


def test_a_wrong_passphrase_names_its_officer():
    panel = keys.make_panel(_officers(3), 2, "interactive")
    with pytest.raises(keys.WrongOfficerPassphrase) as wrong:
        keys.recover(panel, {1: "passphrase of officer 1", 3: "passphrase of officer 1"})
    assert (wrong.value.position, wrong.value.name) == (3, "officer 3")
    assert isinstance(wrong.value, sealing.WrongPassphrase)
    with pytest.raises(keys.UnknownOfficer):
        keys.recover(panel, {1: "passphrase of officer 1", 4: "passphrase of officer 4"})


def test_each_share_has_its_own_salt_and_holds_nothing_in_the_clear():
    officers = _officers(3)
    panel = keys.make_panel(officers, 2, "interactive")
    assert len({o.salt for o in panel.officers}) == 3
    for officer in panel.officers:
        share = keys.open_share(officer, f"passphrase of officer {officer.position}")
        assert share not in officer.sealed_share and len(share) == keys.SECRET_BYTES
        for o in officers:
            assert o.passphrase.encode() not in officer.sealed_share


@pytest.mark.parametrize("k, names, problem", [
    (0, ["a", "b"], "between 1 and"), (3, ["a", "b"], "between 1 and"), (1, [], "1 to 9"),
    (1, [f"o{i}" for i in range(10)], "1 to 9"), (2, ["Ann", "ann"], "same name"), (1, [" "], "needs a name"),
])
def test_panels_that_cannot_be_made(k, names, problem):
    with pytest.raises(keys.PanelError, match=problem):
        keys.check_panel([keys.Officer(n, "long enough passphrase") for n in names], k)


def test_a_short_passphrase_is_refused():
    with pytest.raises(keys.PanelError, match="too short"):
        keys.check_panel([keys.Officer("a", "long enough passphrase"), keys.Officer("b", "short")], 1)
