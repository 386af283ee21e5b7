"""Check the counting officers' signatures of results.json, with nothing but this folder and PyNaCl.

    python3 verify_signatures.py          (inside the unpacked folder)

Exit status 0: results.json is exactly what the officers signed; 1: it is not, or a
signature fails. Compare the public keys printed below with those on the officers' sheets.
"""
import hashlib
import json
import sys
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

here = Path(__file__).resolve().parent
signatures = json.loads((here / "signatures.json").read_text(encoding="utf-8"))
sha = hashlib.sha256((here / "results.json").read_bytes()).hexdigest()
problems = []
if sha != signatures["results_sha256"]:
    problems.append(f"results.json has SHA-256 {sha}, the officers signed {signatures['results_sha256']}")
signers = ",".join(str(o["position"]) for o in sorted(signatures["officers"], key=lambda o: o["position"])
                   if o.get("signature") is not None)
message = f"{signatures['domain']} {signatures['campaign']} {sha} k={signatures['threshold']} signers={signers}".encode()
signed = 0
for officer in signatures["officers"]:
    key = officer["public_key"]
    print(f"officer {officer['position']} {officer['name']}: public key {key}")
    if officer.get("signature") is None:
        print("    did not sign (was not among those who counted)")
        continue
    try:
        VerifyKey(bytes.fromhex(key)).verify(message, bytes.fromhex(officer["signature"]))
        signed += 1
        print("    signature valid")
    except (BadSignatureError, ValueError):
        problems.append(f"the signature of officer {officer['position']} does not verify")
        print("    SIGNATURE INVALID")
if signed < signatures["threshold"]:
    problems.append(f"{signed} valid signatures, {signatures['threshold']} needed")
for problem in problems:
    print("PROBLEM:", problem)
print("OK: results.json is what the officers signed" if not problems else "FAILED")
sys.exit(1 if problems else 0)
