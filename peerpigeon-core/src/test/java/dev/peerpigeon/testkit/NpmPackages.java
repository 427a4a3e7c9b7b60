package dev.peerpigeon.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The one npm installer of the project (tests, the browser suite and the benchmark): installs packages with
 * {@code --ignore-scripts} into a cache outside the source tree ({@code $PEERPIGEON_NPM_CACHE}, default
 * {@code ~/.cache/peerpigeon-java/npm-<reference version>}), and hands out the node scripts the kit ships
 * (such as {@code node/reference-hub.mjs}) as files. No JUnit here: the bench jar uses it too.
 */
public final class NpmPackages {
    /** The reference server version every interop test and the benchmark compare against. */
    public static final String REFERENCE_VERSION = "1.1.3";

    private NpmPackages() {
    }

    /** The npm prefix shared by every install. */
    public static Path cacheRoot() {
        String base = System.getenv("PEERPIGEON_NPM_CACHE");
        return base != null ? Path.of(base)
                : Path.of(System.getProperty("user.home"), ".cache", "peerpigeon-java", "npm-" + REFERENCE_VERSION);
    }

    /**
     * Installs {@code spec} (e.g. {@code peerpigeon@1.1.3}) under {@code prefix} unless every {@code marker}
     * (a path relative to {@code prefix/node_modules}) already exists; returns {@code prefix/node_modules}.
     */
    public static synchronized Path install(Path prefix, String spec, String... markers) throws IOException {
        Path modules = prefix.resolve("node_modules");
        boolean present = markers.length > 0;
        for (String m : markers) {
            present &= Files.exists(modules.resolve(m));
        }
        if (present) {
            return modules;
        }
        Files.createDirectories(prefix);
        Process p = new ProcessBuilder("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix",
                prefix.toString(), spec).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("npm install " + spec + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted installing " + spec, e);
        }
        return modules;
    }

    /** The reference package ({@code .../node_modules/peerpigeon}), installed if needed. */
    public static Path reference() throws IOException {
        return install(cacheRoot(), "peerpigeon@" + REFERENCE_VERSION, "peerpigeon/package.json", "ws/package.json")
                .resolve("peerpigeon");
    }

    /**
     * A resource of the kit (e.g. {@code node/reference-hub.mjs}) as a file: itself when it is one (test-classes),
     * else copied out of the jar into a temporary file.
     */
    public static Path script(String name) throws IOException {
        URL url = NpmPackages.class.getResource("/" + name);
        if (url == null) {
            throw new IOException("missing resource " + name);
        }
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        String file = Path.of(name).getFileName().toString();
        int dot = file.lastIndexOf('.');
        Path tmp = Files.createTempFile(file.substring(0, dot), file.substring(dot));
        tmp.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.write(tmp, in.readAllBytes());
        }
        return tmp;
    }
}
