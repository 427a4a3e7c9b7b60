package dev.peerpigeon.support;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The reverse proxies whose forwarding headers are believed ({@code TRUSTED_PROXIES}), and the rule that finds a
 * request's client address behind them. Immutable and thread-safe.
 *
 * <p>The rule: when the TCP peer is not a trusted proxy (or none is configured), the client is the TCP peer and
 * the headers are ignored. Otherwise the client is the right-most address of RFC 7239 {@code Forwarded: for=}
 * (when present), else of {@code X-Forwarded-For}, that is not itself a trusted proxy. Entries are IPv4 or IPv6
 * literals, optionally quoted, IPv6 in brackets, ports stripped. An entry that is not an address literal
 * (garbage, {@code unknown}, an obfuscated identifier), a loopback or wildcard address, or a chain of trusted
 * proxies only, all give the TCP peer: a forwarded address never makes a remote client look local (protected
 * mode and the per-IP limits then see the proxy, as without this option).
 */
public final class TrustedProxies {
    private static final TrustedProxies NONE = new TrustedProxies(List.of());
    private final List<Cidr> ranges;

    private record Cidr(byte[] net, int bits) {
        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != net.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != net[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            return rest == 0 || ((b[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
        }
    }

    private TrustedProxies(List<Cidr> ranges) {
        this.ranges = ranges;
    }

    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * Parses IPs and CIDRs ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1}, {@code fd00::/8}).
     *
     * @throws IllegalArgumentException naming the first invalid entry
     */
    public static TrustedProxies parse(List<String> entries) {
        List<Cidr> out = new ArrayList<>();
        for (String raw : entries) {
            String e = raw == null ? "" : raw.trim();
            int slash = e.indexOf('/');
            String ip = slash < 0 ? e : e.substring(0, slash);
            InetAddress a = literal(ip);
            if (a == null) {
                throw new IllegalArgumentException("'" + e + "' is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, ::1)");
            }
            int max = a.getAddress().length * 8;
            int bits = max;
            if (slash >= 0) {
                String b = e.substring(slash + 1);
                if (!b.matches("\\d{1,3}") || Integer.parseInt(b) > max) {
                    throw new IllegalArgumentException("'" + e + "' has an invalid prefix length (0-" + max + ")");
                }
                bits = Integer.parseInt(b);
            }
            out.add(new Cidr(a.getAddress(), bits));
        }
        return out.isEmpty() ? NONE : new TrustedProxies(List.copyOf(out));
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public boolean trusts(InetAddress a) {
        if (a == null) {
            return false;
        }
        for (Cidr c : ranges) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client address of a request from {@code tcpPeer} carrying these header values (each null when absent).
     */
    public InetAddress clientAddress(InetAddress tcpPeer, String forwarded, String xForwardedFor) {
        if (ranges.isEmpty() || !trusts(tcpPeer)) {
            return tcpPeer;
        }
        List<String> chain = forwarded != null ? forwardedFor(forwarded) : xForwardedFor != null
                ? List.of(xForwardedFor.split(",", -1)) : List.of();
        if (chain == null) {
            return tcpPeer;
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            InetAddress a = node(chain.get(i));
            if (a == null || a.isLoopbackAddress() || a.isAnyLocalAddress()) {
                return tcpPeer; // not an address we can believe: the proxy is all we know
            }
            if (!trusts(a)) {
                return a;
            }
        }
        return tcpPeer;
    }

    /** The {@code for=} values of a Forwarded header, in order; null when it is malformed. */
    private static List<String> forwardedFor(String header) {
        List<String> out = new ArrayList<>();
        for (String element : header.split(",", -1)) {
            for (String pair : element.split(";", -1)) {
                String p = pair.trim();
                int eq = p.indexOf('=');
                if (p.isEmpty()) {
                    continue;
                }
                if (eq <= 0) {
                    return null;
                }
                if (p.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
                    out.add(p.substring(eq + 1).trim());
                }
            }
        }
        return out;
    }

    /** One forwarded node: {@code 1.2.3.4}, {@code 1.2.3.4:80}, {@code "[::1]:80"}, {@code [::1]}, {@code ::1}. */
    private static InetAddress node(String raw) {
        String s = raw.trim();
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1).trim();
        }
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || !(close == s.length() - 1 || s.substring(close + 1).matches(":\\d{1,5}"))) {
                return null;
            }
            return s.substring(1, close).contains(":") ? literal(s.substring(1, close)) : null;
        }
        int colon = s.indexOf(':');
        if (colon >= 0 && colon == s.lastIndexOf(':')) { // IPv4 with a port
            if (!s.substring(colon + 1).matches("\\d{1,5}")) {
                return null;
            }
            s = s.substring(0, colon);
        }
        return literal(s);
    }

    /** An IPv4 dotted quad or an IPv6 literal, never a host name (no DNS lookup); null otherwise. */
    static InetAddress literal(String s) {
        if (s == null || s.isEmpty() || s.length() > 45) {
            return null;
        }
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.contains(":") && s.matches("[0-9a-fA-F:.]+");
        if (v4) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        }
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s); // a literal: parsed, no lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        for (Cidr c : ranges) {
            try {
                shown.add(InetAddress.getByAddress(c.net()).getHostAddress() + "/" + c.bits());
            } catch (UnknownHostException e) {
                shown.add("?");
            }
        }
        return shown.toString();
    }
}
