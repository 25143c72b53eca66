package io.agentmesh.relay;

import java.net.InetSocketAddress;

/** Parses {@code host:port}, {@code [ipv6]:port}, for command lines and configuration. */
public final class HostPort {
    private HostPort() {
    }

    /**
     * Parses {@code text} into an unresolved-if-needed address (IP literals are not looked up; names are resolved
     * lazily by whoever connects).
     *
     * @throws IllegalArgumentException with a message that shows the expected form
     */
    public static InetSocketAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected host:port, got nothing");
        }
        String t = text.strip();
        String host;
        String port;
        if (t.startsWith("[")) {
            int end = t.indexOf("]:");
            if (end < 0) {
                throw new IllegalArgumentException("expected [ipv6]:port, got '" + text + "'");
            }
            host = t.substring(1, end);
            port = t.substring(end + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected host:port (e.g. relay.example.org:7700 or"
                        + " 203.0.113.5:7700; [::1]:7700 for IPv6), got '" + text + "'");
            }
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port in '" + text + "' is not a number");
        }
        if (p < 0 || p > 65_535) {
            throw new IllegalArgumentException("port in '" + text + "' must be 0..65535");
        }
        if (isIpLiteral(host)) {
            return new InetSocketAddress(host, p); // a literal: no lookup
        }
        return InetSocketAddress.createUnresolved(host, p);
    }

    private static boolean isIpLiteral(String host) {
        if (host.contains(":")) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String s : parts) {
            if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit) || Integer.parseInt(s) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code host:port} (IPv6 in brackets), without any lookup. */
    public static String format(InetSocketAddress a) {
        String h = a.getHostString();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
