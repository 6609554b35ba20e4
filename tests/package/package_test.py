"""Lambda bootstraps and `lift package`, checked with the system's own tools (objdump, readelf,
file) rather than with the code under test, plus Python's zipfile for the archive.

    LIFT_BIN=build/bin/lift LIFT_BOOTSTRAPS=example-echo=build/lambda/example-echo/bootstrap \
    LIFT_PROBE=build/lambda/lambda-probe/bootstrap LIFT_DYNAMIC=build/bin/example-echo \
    LIFT_WORK=/tmp/pkg python3 tests/package/package_test.py -v
"""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest
import zipfile

LIFT = os.environ["LIFT_BIN"]
BOOTSTRAPS = dict(item.split("=", 1) for item in os.environ["LIFT_BOOTSTRAPS"].split(";") if item)
PROBE = os.environ["LIFT_PROBE"]
DYNAMIC = os.environ["LIFT_DYNAMIC"]
MAX_GLIBC = (2, 34)  # Amazon Linux 2023
MAX_ZIP = 5 * 1024 * 1024
ALLOWED_NEEDED = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                  "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def run(*args, timeout=30, env=None):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env)


def glibc_versions(path):
    out = run("objdump", "-T", path)
    assert out.returncode == 0, out.stderr
    return {tuple(int(x) for x in m.groups()) for m in re.finditer(r"GLIBC_(\d+)\.(\d+)", out.stdout)}


def needed(path):
    out = run("readelf", "-d", path)
    assert out.returncode == 0, out.stderr
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out.stdout)


class PackagedBootstraps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="lift-package-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def package(self, name, binary):
        out_dir = os.path.join(self.work, "dist")
        res = run(LIFT, "package", "--binary", binary, "--name", name, "--out", out_dir)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("newest glibc version needed", res.stdout)
        return os.path.join(out_dir, name + ".zip")

    def test_bootstraps_need_only_old_glibc(self):
        for name, path in BOOTSTRAPS.items():
            with self.subTest(name=name):
                versions = glibc_versions(path)
                self.assertTrue(versions, "no GLIBC versions found: not dynamic against glibc?")
                too_new = sorted(v for v in versions if v > MAX_GLIBC)
                self.assertEqual(too_new, [], f"{path} needs glibc {too_new}")
                out = run("objdump", "-T", path).stdout
                self.assertNotRegex(out, r"\b(arc4random|_dl_find_object)\b")

    def test_bootstraps_need_only_glibc_libraries(self):
        for name, path in BOOTSTRAPS.items():
            with self.subTest(name=name):
                libs = needed(path)
                self.assertIn("libc.so.6", libs)
                self.assertEqual(sorted(set(libs) - ALLOWED_NEEDED), [], f"{path}: {libs}")
                desc = run("file", "-L", path).stdout
                self.assertIn("ELF 64-bit LSB", desc)
                self.assertIn("x86-64", desc)
                self.assertIn("stripped", desc)
                self.assertNotIn("not stripped", desc)

    def test_zip_holds_one_executable_bootstrap(self):
        for name, path in BOOTSTRAPS.items():
            with self.subTest(name=name):
                zpath = self.package(name, path)
                size = os.path.getsize(zpath)
                self.assertLessEqual(size, MAX_ZIP, f"{zpath} is {size} bytes")
                with zipfile.ZipFile(zpath) as z:
                    self.assertIsNone(z.testzip())  # every CRC matches
                    infos = z.infolist()
                    self.assertEqual([i.filename for i in infos], ["bootstrap"])
                    mode = infos[0].external_attr >> 16
                    self.assertTrue(stat.S_ISREG(mode), oct(mode))
                    self.assertEqual(stat.S_IMODE(mode), 0o755)
                    with open(path, "rb") as f:
                        self.assertEqual(z.read("bootstrap"), f.read())
                # unzip as Lambda does, then the file is executable
                dest = os.path.join(self.work, "unzipped-" + name)
                res = run("unzip", "-o", "-q", zpath, "-d", dest)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertTrue(os.access(os.path.join(dest, "bootstrap"), os.X_OK))

    def test_store_writes_an_uncompressed_zip(self):
        name, path = next(iter(BOOTSTRAPS.items()))
        out_dir = os.path.join(self.work, "stored")
        res = run(LIFT, "package", "--binary", path, "--name", name, "--store", "--out", out_dir)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        with zipfile.ZipFile(os.path.join(out_dir, name + ".zip")) as z:
            self.assertIsNone(z.testzip())
            (info,) = z.infolist()
            self.assertEqual(info.compress_type, zipfile.ZIP_STORED)
            self.assertEqual(info.compress_size, os.path.getsize(path))
            self.assertEqual(stat.S_IMODE(info.external_attr >> 16), 0o755)
        with zipfile.ZipFile(self.package(name, path)) as z:
            self.assertEqual(z.infolist()[0].compress_type, zipfile.ZIP_DEFLATED)

    def test_same_input_same_zip(self):
        name, path = next(iter(BOOTSTRAPS.items()))
        first = open(self.package(name, path), "rb").read()
        second = open(self.package(name, path), "rb").read()
        self.assertEqual(first, second)

    def test_bootstraps_start(self):
        env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        for name, path in BOOTSTRAPS.items():
            with self.subTest(name=name):
                res = run(path, "--help", env=env)
                self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
                self.assertIn("--port", res.stdout + res.stderr)

    def test_probe_exceptions_random_dns_tls(self):
        self.assertNotRegex(run("objdump", "-T", PROBE).stdout, r"GLIBC_2\.(3[5-9]|[4-9]\d)")
        res = run(PROBE)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        for check in ("exceptions", "random_device", "getaddrinfo", "openssl", "trust_store"):
            self.assertRegex(res.stdout, rf"(?m)^{check} ok\b")

    def test_rejects_the_dynamic_build(self):
        res = run(LIFT, "package", "--binary", DYNAMIC, "--out", os.path.join(self.work, "bad"))
        self.assertEqual(res.returncode, 3, res.stdout + res.stderr)
        self.assertRegex(res.stderr, r"needs shared library lib(fmt|stdc\+\+|ssl|crypto|boost)")
        self.assertFalse(os.path.exists(os.path.join(self.work, "bad", "example-echo.zip")))

    def test_rejects_non_elf_and_wrong_arch(self):
        text = os.path.join(self.work, "not-elf")
        with open(text, "w") as f:
            f.write("#!/bin/sh\necho hi\n")
        res = run(LIFT, "package", "--binary", text, "--out", self.work)
        self.assertEqual(res.returncode, 3, res.stdout + res.stderr)
        self.assertIn("not an ELF file", res.stderr)
        name, path = next(iter(BOOTSTRAPS.items()))
        res = run(LIFT, "package", "--binary", path, "--arch", "arm64", "--out", self.work)
        self.assertEqual(res.returncode, 3, res.stdout + res.stderr)
        self.assertIn("built for x86_64, not arm64", res.stderr)

    def test_rejects_newer_glibc_than_asked(self):
        name, path = next(iter(BOOTSTRAPS.items()))
        newest = max(glibc_versions(path))
        older = f"{newest[0]}.{newest[1] - 1}"
        res = run(LIFT, "package", "--binary", path, "--max-glibc", older, "--out", self.work)
        self.assertEqual(res.returncode, 3, res.stdout + res.stderr)
        self.assertIn(f"needs GLIBC_{newest[0]}.{newest[1]}, newer than glibc {older}", res.stderr)

    def test_usage_errors(self):
        res = run(LIFT, "package", "--out", self.work)
        self.assertNotEqual(res.returncode, 0, res.stderr)
        self.assertIn("--target or --binary", res.stderr)


if __name__ == "__main__":
    unittest.main()
