package dev.peerpigeon.hardening;

import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Protected mode over a real non-loopback source address. The machine forbids traffic to non-loopback
 * addresses outside namespaces we create, so, like the browser suite (peerpigeon-examples browser/netns.sh),
 * the scenario ({@link ProtectedModeNetnsMain}) runs in a child JVM under {@code unshare -n} with a veth whose
 * end has 198.18.0.1. Needs root, {@code unshare} and {@code ip}; without them it is skipped, unless
 * PEERPIGEON_REQUIRE_NETNS=true (or PEERPIGEON_REQUIRE_BROWSER=true, as CI sets) makes that a failure.
 */
class ProtectedModeNetnsTest {
    /** Loopback up, a veth pair whose v0 end carries 198.18.0.1 (the same setup as browser/netns.sh). */
    private static final String NETNS_SETUP = "ip link set lo up && ip link add v0 type veth peer name v1"
            + " && ip addr add " + ProtectedModeNetnsMain.FAR + "/24 dev v0 && ip link set v0 up && ip link set v1 up";

    @Test
    void aHubFromANonLoopbackAddressIsRefusedWithoutASecretAndAcceptedWhenOpened() throws Exception {
        requireNetns();
        Path childLog = TestLogs.file().resolveSibling("test-logs-netns.txt");
        Files.deleteIfExists(childLog);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of("unshare", "-n", "bash", "-c", NETNS_SETUP + " && exec \"$@\"", "netns",
                java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.log.org.java_websocket=off",
                "-Dorg.slf4j.simpleLogger.logFile=" + childLog,
                ProtectedModeNetnsMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), output), "netns-child-output");
        reader.setDaemon(true);
        reader.start();
        boolean finished = p.waitFor(90, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(10_000);
        String out = output.toString(StandardCharsets.UTF_8);
        String logs = Files.exists(childLog) ? Files.readString(childLog) : "(no child log)";
        assertThat(finished).as("child finished within 90 s; output:\n%s\nlog:\n%s", out, logs).isTrue();
        assertThat(p.exitValue()).as("child exit status; output:\n%s\nlog:\n%s", out, logs).isZero();
        assertThat(out).contains(ProtectedModeNetnsMain.OK);
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the child ended
        }
    }

    private static void requireNetns() throws Exception {
        String missing = null;
        for (String tool : List.of("unshare", "ip")) {
            if (!onPath(tool)) {
                missing = "'" + tool + "' is not installed (apt-get install util-linux iproute2)";
            }
        }
        if (missing == null) {
            Process probe = new ProcessBuilder("unshare", "-n", "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
                    .redirectErrorStream(true).start();
            String probeOut = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!probe.waitFor(20, TimeUnit.SECONDS) || probe.exitValue() != 0) {
                missing = "cannot create a network namespace with a veth pair (needs root): " + probeOut.trim();
            }
        }
        if (missing == null) {
            return;
        }
        String msg = "Protected-mode netns test skipped: " + missing;
        if ("true".equalsIgnoreCase(System.getenv("PEERPIGEON_REQUIRE_NETNS"))
                || "true".equalsIgnoreCase(System.getenv("PEERPIGEON_REQUIRE_BROWSER"))) {
            throw new AssertionError(msg + ", and PEERPIGEON_REQUIRE_NETNS / PEERPIGEON_REQUIRE_BROWSER is true");
        }
        Assumptions.abort(msg);
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
