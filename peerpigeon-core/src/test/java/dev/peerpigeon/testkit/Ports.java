package dev.peerpigeon.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Free loopback ports for child processes that cannot bind port 0 themselves (the reference server). */
public final class Ports {
    private Ports() {
    }

    public static int free() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The first of {@code n} consecutive free ports, for servers that take a start port and count up from it. Taken
     * below the kernel's ephemeral range: there a port next to a free one can be handed out any moment as the source
     * port of an outgoing connection (a hub dialing another), which {@link #free} plus one cannot rule out.
     */
    public static int freeRun(int n) {
        int low = Math.max(1024 + n, ephemeralLow()) - n;
        for (int attempt = 0; attempt < 200; attempt++) {
            int start = ThreadLocalRandom.current().nextInt(Math.min(20_000, low / 2), low);
            if (allFree(start, n)) {
                return start;
            }
        }
        throw new IllegalStateException("no run of " + n + " free ports below " + low);
    }

    private static boolean allFree(int start, int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int p = start; p < start + n; p++) {
                ServerSocket s = new ServerSocket();
                held.add(s);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", p));
            }
            return true;
        } catch (IOException inUse) {
            return false;
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a probe socket
                }
            }
        }
    }

    private static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768; // Linux's default
        }
    }
}
