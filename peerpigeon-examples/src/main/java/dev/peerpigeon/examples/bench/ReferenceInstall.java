package dev.peerpigeon.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Installs the reference server (npm peerpigeon@1.1.3, {@code --ignore-scripts}) into a cache outside
 * the source tree: {@code $PEERPIGEON_NPM_CACHE} or {@code ~/.cache/peerpigeon-java/npm-1.1.3}.
 */
final class ReferenceInstall {
    private ReferenceInstall() {
    }

    static Path ensure() throws IOException, InterruptedException {
        String base = System.getenv("PEERPIGEON_NPM_CACHE");
        Path root = base != null ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache", "peerpigeon-java", "npm-1.1.3");
        Path pkg = root.resolve("node_modules/peerpigeon");
        if (!Files.exists(pkg.resolve("server/start.js"))) {
            Files.createDirectories(root);
            System.out.println("Installing the reference server (npm peerpigeon@1.1.3) into " + root);
            Process p = new ProcessBuilder("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix",
                    root.toString(), "peerpigeon@1.1.3").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("npm install failed:\n" + out);
            }
        }
        return pkg;
    }
}
