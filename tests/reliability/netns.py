"""Private network namespaces standing in for separate machines (tests/reliability/test_scale_out.py).

Each host is a network namespace of its own, joined to the root namespace by a veth pair on a /30
of a 10.x.y.0/24 that no interface or route of this machine uses. Inside, the host sees only its
own loopback and its end of the pair. The machine's PostgreSQL and Redis listen on 127.0.0.1 only
(and there is no iptables to DNAT with), so a TCP forwarder in the root namespace listens on the
root-side address of every pair and relays to them: ``socat`` when installed, else the asyncio
forwarder below, run as a process of its own. Nothing listens on any other interface.

Names carry a random tag, so two runs never meet; ``Network.destroy()`` stops the forwarders by PID
and deletes every namespace and veth it made, whatever state a failure left them in."""

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field

from tests.worker import ROOT, wait_until


def netns_unavailable() -> str:
    """Why network namespaces cannot be made here ("" when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    probe = f"scprobe-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, timeout=30)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.decode(errors='replace').strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=30)
    return ""


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")


def _free_subnet() -> str:
    """``10.a.b`` of a /24 that no address or route of the root namespace mentions."""
    seen = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=30).stdout
    seen += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, timeout=30).stdout
    for _ in range(100):
        subnet = f"10.{random.randint(100, 254)}.{random.randint(0, 254)}"
        if f"{subnet}." not in seen:
            return subnet
    raise RuntimeError("no free 10.x.y.0/24 found")


@dataclass
class Host:
    namespace: str
    veth: str  # the root-side end of the pair
    gateway: str  # its address: where this host reaches PostgreSQL and Redis
    address: str  # the host's own address, inside its namespace

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Network:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    subnet: str = field(default_factory=_free_subnet)
    hosts: list[Host] = field(default_factory=list)
    forwarders: list[subprocess.Popen] = field(default_factory=list)

    def add_host(self) -> Host:
        index = len(self.hosts)
        if index >= 63:
            raise RuntimeError("a /24 holds 63 /30s")
        base = 4 * index
        host = Host(
            namespace=f"scale-{self.tag}-{index}",
            veth=f"vs{self.tag}{index}",  # interface names: at most 15 characters
            gateway=f"{self.subnet}.{base + 1}",
            address=f"{self.subnet}.{base + 2}",
        )
        self.hosts.append(host)  # before it exists: destroy() cleans up a half-made host too
        inner = f"{host.veth}n"
        _ip("netns", "add", host.namespace)
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", inner, "netns", host.namespace)
        _ip("addr", "add", f"{host.gateway}/30", "dev", host.veth)
        _ip("link", "set", host.veth, "up")
        _ip("-n", host.namespace, "addr", "add", f"{host.address}/30", "dev", inner)
        _ip("-n", host.namespace, "link", "set", inner, "up")
        _ip("-n", host.namespace, "link", "set", "lo", "up")
        return host

    def forward(self, port: int, *, to_port: int | None = None) -> None:
        """Relay ``port`` on every host's gateway address to 127.0.0.1:``to_port`` (default: the same)."""
        target = to_port or port
        listens = [(host.gateway, port) for host in self.hosts]
        if shutil.which("socat"):
            for address, listen_port in listens:
                self._spawn(
                    [
                        "socat",
                        f"TCP-LISTEN:{listen_port},bind={address},reuseaddr,fork,backlog=256,nodelay",
                        f"TCP:127.0.0.1:{target},nodelay",
                    ]
                )
        else:
            pairs = [f"{address}:{listen_port}=127.0.0.1:{target}" for address, listen_port in listens]
            self._spawn([sys.executable, "-m", "tests.reliability.netns", *pairs])
        for address, listen_port in listens:
            wait_until(lambda a=address, p=listen_port: _accepts(a, p), timeout=15, what=f"forwarder {address}:{port}")

    def _spawn(self, command: list[str]) -> None:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.forwarders.append(process)

    def destroy(self) -> None:
        """Stop the forwarders (each its own process group: socat's forked children go with it), then
        delete every namespace and veth. Call after the processes run inside the namespaces are gone."""
        for process in self.forwarders:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        for host in self.hosts:
            # Deleting the namespace deletes its end of the pair, and with it the root-side end.
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, timeout=30)
            subprocess.run(["ip", "link", "del", host.veth], capture_output=True, timeout=30)


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


# --- The forwarder used when socat is not installed: python -m tests.reliability.netns A:P=B:Q ... -------
async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _forward(listen: str, target: str) -> asyncio.Server:
    listen_host, listen_port = listen.rsplit(":", 1)
    target_host, target_port = target.rsplit(":", 1)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target_host, int(target_port))
        except OSError:
            writer.close()
            return
        for stream in (writer, upstream_writer):
            stream.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    return await asyncio.start_server(relay, listen_host, int(listen_port), reuse_address=True, backlog=256)


async def _main(pairs: list[str]) -> None:
    servers = [await _forward(*pair.split("=", 1)) for pair in pairs]
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
