package io.agentmesh.node.ops;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * This machine's Tailscale address, for {@code --advertise tailscale} and {@code --listen tailscale:PORT}: what
 * {@code tailscale ip -4} prints when the CLI exists, else the first interface address in 100.64.0.0/10 (the range
 * Tailscale gives its nodes), else a clear error.
 */
public final class Tailnet {
    /** The word that stands for this machine's tailnet address in --listen and --advertise. */
    public static final String KEYWORD = "tailscale";
    private static final long CLI_TIMEOUT_MS = 5_000;
    private static final int MAX_OUTPUT_BYTES = 4096;

    /** One network interface as the choice sees it. */
    public record Interface(String name, boolean up, List<InetAddress> addresses) {
        public Interface {
            addresses = List.copyOf(addresses);
        }
    }

    private Tailnet() {
    }

    /** Whether {@code text} ({@code tailscale} or {@code tailscale:PORT}) asks for the tailnet address. */
    public static boolean asks(String text) {
        return text != null && (text.equalsIgnoreCase(KEYWORD) || text.toLowerCase(java.util.Locale.ROOT)
                .startsWith(KEYWORD + ":"));
    }

    /** Whether {@code a} is in 100.64.0.0/10. */
    public static boolean inTailnetRange(InetAddress a) {
        byte[] b = a.getAddress();
        return a instanceof Inet4Address && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
    }

    /**
     * The address to use: the first IPv4 line of {@code cliOutput} (the output of {@code tailscale ip -4}, empty
     * when the CLI is missing or failed), else the first address in 100.64.0.0/10 of an interface that is up.
     *
     * @throws IllegalArgumentException saying what was tried and what to do
     */
    public static InetAddress choose(Optional<String> cliOutput, List<Interface> interfaces) {
        if (cliOutput.isPresent()) {
            for (String line : cliOutput.get().lines().map(String::strip).toList()) {
                Optional<InetAddress> a = ipv4Literal(line);
                if (a.isPresent()) {
                    return a.get();
                }
            }
        }
        for (Interface i : interfaces) {
            if (!i.up()) {
                continue;
            }
            for (InetAddress a : i.addresses()) {
                if (inTailnetRange(a)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("no tailnet address: " + (cliOutput.isPresent()
                ? "`tailscale ip -4` printed no IPv4 address" : "the tailscale command is not installed or failed")
                + ", and no interface that is up has an address in 100.64.0.0/10. Install Tailscale and run"
                + " `tailscale up`, or give the address itself (--advertise 100.x.y.z:7700)");
    }

    /** {@link #choose} on this machine: runs {@code tailscale ip -4} when on the PATH, reads the interfaces. */
    public static InetAddress ofThisMachine(String path) {
        return choose(runCli(path), interfaces());
    }

    /** The output of {@code tailscale ip -4} when the command is on {@code path} and exits 0 within 5 s. */
    static Optional<String> runCli(String path) {
        return ToolOutput.of(path, KEYWORD, MAX_OUTPUT_BYTES, CLI_TIMEOUT_MS, "ip", "-4");
    }

    /** The executable {@code name} in a directory of {@code path} (the PATH variable), if any. */
    public static Optional<Path> onPath(String path, String name) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** This machine's interfaces; none when the OS will not list them. */
    static List<Interface> interfaces() {
        List<Interface> out = new ArrayList<>();
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.add(new Interface(n.getName(), n.isUp(), Collections.list(n.getInetAddresses())));
            }
        } catch (SocketException e) {
            return List.of();
        }
        return out;
    }

    private static Optional<InetAddress> ipv4Literal(String text) {
        if (!text.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            return Optional.empty();
        }
        for (String part : text.split("\\.")) {
            if (Integer.parseInt(part) > 255) {
                return Optional.empty();
            }
        }
        try {
            // A literal: no lookup happens.
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
