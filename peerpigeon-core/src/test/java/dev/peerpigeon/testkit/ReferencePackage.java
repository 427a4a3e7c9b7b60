package dev.peerpigeon.testkit;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code peerpigeon@1.1.3} npm package for tests, installed at test time by {@link NpmPackages}
 * (outside the source tree). Never committed.
 *
 * <p>Without node/npm the calling test is skipped with the install hint, unless
 * {@code PEERPIGEON_REQUIRE_NODE=true} (CI sets it), in which case it fails.
 */
public final class ReferencePackage {
    public static final String VERSION = NpmPackages.REFERENCE_VERSION;
    private static Path cached;

    private ReferencePackage() {
    }

    /** Directory of the installed package ({@code .../node_modules/peerpigeon}). */
    public static synchronized Path dir() {
        if (cached != null) {
            return cached;
        }
        requireTool("node");
        requireTool("npm");
        Path pkg;
        try {
            pkg = NpmPackages.reference();
        } catch (IOException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        cached = pkg;
        return pkg;
    }

    private static void requireTool(String tool) {
        boolean present;
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            present = false;
        }
        if (!present) {
            String hint = tool + " is not installed (apt-get install nodejs npm)";
            if ("true".equalsIgnoreCase(System.getenv("PEERPIGEON_REQUIRE_NODE"))) {
                throw new AssertionError(hint + " and PEERPIGEON_REQUIRE_NODE=true");
            }
            Assumptions.abort(hint + "; skipping the real-client test");
        }
    }

    /** A test resource as a file path (copied out when it lives in the kit's jar). */
    public static Path resource(String name) {
        try {
            return NpmPackages.script(name);
        } catch (IOException e) {
            throw new AssertionError("missing test resource " + name, e);
        }
    }

    /** Starts {@code node script args...}; stdout and stderr are merged. */
    public static NodeProcess node(String script, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("node");
        cmd.add(resource(script).toString());
        cmd.addAll(List.of(args));
        return new NodeProcess(cmd);
    }
}
