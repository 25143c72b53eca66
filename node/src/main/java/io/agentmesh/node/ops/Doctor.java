package io.agentmesh.node.ops;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The checks of {@code agentmesh doctor}: each looks at one thing on this machine and says OK, WARN or FAIL with what
 * to do. Every check takes what it looks at as arguments, so each failure can be shown in a test.
 */
public final class Doctor {
    /** The JDK the build targets. */
    public static final int MIN_JDK = 21;
    static final long DISK_WARN_BYTES = 5L << 30;
    static final long DISK_FAIL_BYTES = 512L << 20;
    private static final int TIMEDATECTL_TIMEOUT_MS = 5_000;

    public enum Status { OK, WARN, FAIL }

    /** One check's verdict: its name, status, what was found, and what to do when it is not OK. */
    public record Check(String name, Status status, String found, String fix) {
        /** One line: {@code OK    jdk           Java 25} and, when not OK, {@code -> what to do}. */
        public String line() {
            return String.format(Locale.ROOT, "%-5s %-22s %s%s", status, name, found,
                    status == Status.OK || fix.isEmpty() ? "" : "  -> " + fix);
        }
    }

    private Doctor() {
    }

    public static Check jdk(int feature) {
        return feature >= MIN_JDK ? new Check("jdk", Status.OK, "Java " + feature, "")
                : new Check("jdk", Status.FAIL, "Java " + feature, "install JDK " + MIN_JDK + " or newer (e.g."
                + " Temurin) and point JAVA_HOME at it");
    }

    /** From {@code timedatectl show -p NTPSynchronized --value}: yes, no, or empty when it could not be asked. */
    public static Check clockSync(Optional<String> ntpSynchronized) {
        if (ntpSynchronized.isEmpty()) {
            return new Check("clock", Status.WARN, "cannot tell whether the clock is synchronised (timedatectl missing or not answering)",
                    "run an NTP client (chrony, systemd-timesyncd); leases, schedules and certificates read the"
                            + " wall clock");
        }
        return ntpSynchronized.get().strip().equals("yes")
                ? new Check("clock", Status.OK, "synchronised (NTP)", "")
                : new Check("clock", Status.FAIL, "not synchronised", "sudo timedatectl set-ntp true (or start"
                + " chronyd)");
    }

    /**
     * Above this a peer's clock is worth fixing: cron jobs fire on the leader's wall clock, so a leader change moves
     * them by the offset, and backup times and drill freshness are compared across nodes. (Raft's leader lease and
     * heartbeat ages use monotonic time and do not care.)
     */
    public static final long CLOCK_OFFSET_WARN_MS = 500;
    /**
     * Above this the offset shows: a job due every few seconds runs twice or not at all across a leader change,
     * backups from two nodes sort in the wrong order, and a freshly issued node certificate ({@code notBefore} = the
     * issuer's now) is not yet valid on the peer.
     */
    public static final long CLOCK_OFFSET_FAIL_MS = 5_000;

    /**
     * A peer's clock offset as the running node estimated it from its newest heartbeat ({@code /v1/status}
     * peers[].clockOffsetMs, plus or minus clockOffsetErrorMs). The bounds apply to the offset less its error, so a
     * slow link alone does not raise a warning.
     */
    public static Check clockOffset(String peer, long offsetMs, long errorMs) {
        String name = "clock vs " + peer;
        String found = String.format(Locale.ROOT, "%s is %+d ms from this node (±%d ms)", peer, offsetMs, errorMs);
        long sure = Math.max(0, Math.abs(offsetMs) - Math.max(0, errorMs));
        String fix = "run NTP (chrony, systemd-timesyncd) on both machines; cron, backup times and certificate"
                + " validity read the wall clock";
        if (sure > CLOCK_OFFSET_FAIL_MS) {
            return new Check(name, Status.FAIL, found + ", more than " + CLOCK_OFFSET_FAIL_MS + " ms", fix);
        }
        return sure > CLOCK_OFFSET_WARN_MS ? new Check(name, Status.WARN, found + ", more than "
                + CLOCK_OFFSET_WARN_MS + " ms", fix) : new Check(name, Status.OK, found, "");
    }

    /** {@code timedatectl show -p NTPSynchronized --value}'s output, empty when the tool is missing or fails. */
    public static Optional<String> askTimedatectl(String path) {
        return ToolOutput.of(path, "timedatectl", 256, TIMEDATECTL_TIMEOUT_MS, "show", "-p", "NTPSynchronized",
                "--value").map(String::strip);
    }

    /**
     * A port the node listens on: with the node running it should answer there; with the node stopped it must be
     * free, or the node will not start.
     */
    public static Check port(String name, InetSocketAddress address, boolean nodeRunning, int timeoutMs) {
        String where = address.getHostString() + ":" + address.getPort();
        if (nodeRunning) {
            return connects(address, timeoutMs) ? new Check(name, Status.OK, where + " answers (the node runs)", "")
                    : new Check(name, Status.FAIL, "the node runs but nothing answers on " + where,
                    "check the node's log; is " + name + " set to another address than the node was started with?");
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(address);
            return new Check(name, Status.OK, where + " is free", "");
        } catch (IOException e) {
            return new Check(name, Status.FAIL, where + " cannot be bound: " + e.getMessage(),
                    "another program uses it (ss -ltnp 'sport = :" + address.getPort() + "'), or the address is not"
                            + " this machine's; change " + name + " in agentmesh.yaml");
        }
    }

    /** Free space where the home is. */
    public static Check disk(Path home, long usableBytes) {
        String found = (usableBytes >> 20) + " MiB free under " + home;
        if (usableBytes < DISK_FAIL_BYTES) {
            return new Check("disk", Status.FAIL, found, "free space: with a full disk the node stops to protect its"
                    + " store (exit 70)");
        }
        return usableBytes < DISK_WARN_BYTES ? new Check("disk", Status.WARN, found, "less than "
                + (DISK_WARN_BYTES >> 30) + " GiB left; free some or move the state directory")
                : new Check("disk", Status.OK, found, "");
    }

    /** A file holding a secret: readable by its owner only (0600 or stricter); a missing optional file is OK. */
    public static Check secretFile(String name, Path file, boolean required) throws IOException {
        if (!Files.exists(file)) {
            return required ? new Check(name, Status.FAIL, file + " is missing", "agentmesh init (or pass the"
                    + " right --home)") : new Check(name, Status.OK, "none (" + file + ")", "");
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return new Check(name, Status.WARN, "cannot read the permissions of " + file, "make it readable by its"
                    + " owner only");
        }
        Set<PosixFilePermission> others = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        others.retainAll(perms);
        return others.isEmpty() ? new Check(name, Status.OK, file + " is private", "")
                : new Check(name, Status.FAIL, file + " is readable or writable by others "
                + java.nio.file.attribute.PosixFilePermissions.toString(perms), "chmod 600 " + file);
    }

    /** A peer or relay: can this machine open a TCP connection to it? */
    public static Check reachable(String name, InetSocketAddress address, int timeoutMs) {
        String where = address.getHostString() + ":" + address.getPort();
        return connects(address, timeoutMs) ? new Check(name, Status.OK, where + " reachable", "")
                : new Check(name, Status.FAIL, where + " unreachable within " + timeoutMs + " ms",
                "is it running? is the address right? a firewall (or the tailnet's ACLs) between here and there?");
    }

    private static boolean connects(InetSocketAddress address, int timeoutMs) {
        InetSocketAddress target = address.isUnresolved()
                ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (target.isUnresolved()) {
            return false;
        }
        String host = target.getAddress().isAnyLocalAddress() ? "127.0.0.1" : target.getHostString();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, target.getPort()), timeoutMs);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
