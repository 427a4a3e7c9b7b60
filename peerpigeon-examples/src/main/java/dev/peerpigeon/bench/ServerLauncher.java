package dev.peerpigeon.bench;

import dev.peerpigeon.testkit.NpmPackages;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts the servers the benchmark compares: ours (the launcher jar with the start script's JVM flags) and
 * the reference (node), standalone or as hubs; immutable, so any thread may use it.
 */
final class ServerLauncher {
    /** Our server's JVM flags: the defaults of {@code bin/peerpigeon-server}, the README's run command. */
    static final String LEAN_JVM_ARGS = "-XX:+UseSerialGC -Xms16m -Xmn8m -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40"
            + " -Xss256k -XX:+ExitOnOutOfMemoryError -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=5000";
    /** Our server as users run it (the launcher jar). */
    private final Path jar;
    private final Path reference;

    ServerLauncher(Path jar, Path reference) {
        this.jar = jar;
        this.reference = reference;
    }

    ServerProcess ours(int port, Map<String, String> extraEnv) {
        Map<String, String> env = new LinkedHashMap<>(Map.of("PORT", Integer.toString(port), "HOST", "127.0.0.1",
                "MAX_CONNECTIONS", "30000", "MAX_CONNECTIONS_PER_IP", "0", "MAX_CONNECTIONS_PER_IP_PER_SECOND", "0",
                "MAX_MESSAGES_PER_SECOND", "0"));
        env.putAll(extraEnv);
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(List.of(System.getProperty("bench.serverJvmArgs", LEAN_JVM_ARGS).split(" ")));
        cmd.addAll(List.of("-jar", jar.toString()));
        return new ServerProcess(cmd, env, port);
    }

    ServerProcess referenceServer(int port) {
        return new ServerProcess(List.of("node", reference.resolve("server/start.js").toString()),
                Map.of("PORT", Integer.toString(port), "HOST", "127.0.0.1", "MAX_CONNECTIONS", "30000"), port);
    }

    ServerProcess referenceHub(int port, Integer bootstrapPort) {
        String options = "{\"port\":" + port + ",\"host\":\"127.0.0.1\",\"isHub\":true,\"maxConnections\":30000,"
                + "\"autoConnect\":" + (bootstrapPort != null) + ",\"bootstrapHubs\":"
                + (bootstrapPort == null ? "[]" : "[\"ws://127.0.0.1:" + bootstrapPort + "\"]") + "}";
        Path script;
        try {
            script = NpmPackages.script("node/reference-hub.mjs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ServerProcess(List.of("node", script.toString(), reference.toString(), options),
                Map.of("REFERENCE_HUB_QUIET", "true"), port);
    }
}
