package dev.peerpigeon.testkit;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code peerpigeon@1.1.3} npm package, installed at test time with {@code --ignore-scripts}
 * into a cache outside the source tree ({@code $PEERPIGEON_NPM_CACHE}, default
 * {@code ~/.cache/peerpigeon-java/npm}). Never committed.
 *
 * <p>Without node/npm the calling test is skipped with the install hint, unless
 * {@code PEERPIGEON_REQUIRE_NODE=true} (CI sets it), in which case it fails.
 */
public final class ReferencePackage {
    public static final String VERSION = "1.1.3";
    private static Path cached;

    private ReferencePackage() {
    }

    /** Directory of the installed package ({@code .../node_modules/peerpigeon}). */
    public static synchronized Path dir() {
        if (cached != null) {
            return cached;
        }
        String base = System.getenv("PEERPIGEON_NPM_CACHE");
        Path root = base != null ? Path.of(base)
                : Path.of(System.getProperty("user.home"), ".cache", "peerpigeon-java", "npm-" + VERSION);
        Path pkg = root.resolve("node_modules").resolve("peerpigeon");
        if (!Files.exists(pkg.resolve("package.json")) || !Files.exists(root.resolve("node_modules/ws/package.json"))) {
            requireTool("node");
            requireTool("npm");
            try {
                Files.createDirectories(root);
                Process p = new ProcessBuilder("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                        "--prefix", root.toString(), "peerpigeon@" + VERSION)
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new AssertionError("npm install peerpigeon@" + VERSION + " failed:\n" + out);
                }
            } catch (IOException e) {
                throw new AssertionError("npm install failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
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

    /** A test resource as a file path (resources live in target/test-classes). */
    public static Path resource(String name) {
        try {
            return Path.of(ReferencePackage.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
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
