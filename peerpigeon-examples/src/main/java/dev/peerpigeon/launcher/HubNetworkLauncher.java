package dev.peerpigeon.launcher;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a local hub network in one JVM, like the reference's start-hub-network script: HUB_COUNT hubs
 * (default 4) on START_PORT (default 3000), START_PORT+1, ...; hub 0 is the bootstrap of the others
 * (a star). Unlike the reference, every peer on any hub reaches every other. HOST and HUB_MESH_NAMESPACE
 * apply to all hubs. When any hub stops on its own (its transport failed) the process exits with status 1.
 */
public final class HubNetworkLauncher {
    private static final Logger log = LoggerFactory.getLogger(HubNetworkLauncher.class);

    private HubNetworkLauncher() {
    }

    public static void main(String[] args) throws InterruptedException {
        List<PeerPigeonServer> hubs;
        try {
            hubs = launch(System.getenv());
        } catch (PeerPigeonException e) {
            log.error("Cannot start the hub network: {}", e.getMessage());
            System.exit(2);
            return;
        }
        ServerLauncher.exitOnFailure(ServerLauncher.runUntilSignal(hubs, () -> hubs.forEach(PeerPigeonServer::stop)));
    }

    /** Starts the hubs; closes the ones already started if one fails. */
    public static List<PeerPigeonServer> launch(Map<String, String> env) {
        int count = intVar(env, "HUB_COUNT", 4);
        int startPort = intVar(env, "START_PORT", 3000);
        if (count < 1 || count > 100) {
            throw new PeerPigeonException.ConfigException("Environment variable HUB_COUNT must be 1-100, got " + count);
        }
        ServerConfig base = ServerConfig.fromEnvironment(env);
        List<PeerPigeonServer> hubs = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                List<URI> bootstrap = i == 0 ? List.of()
                        : List.of(URI.create("ws://" + dialable(base.listen().host()) + ":" + hubs.get(0).getPort()));
                PeerPigeonServer hub = PeerPigeonServer.create(base.toBuilder().port(startPort + i).maxPortRetries(0)
                        .isHub(true).hubPeerId(null).bootstrapHubs(bootstrap).defaultBootstrapPort(0).buildConfig());
                hubs.add(hub.start());
            }
        } catch (RuntimeException e) {
            hubs.forEach(PeerPigeonServer::stop);
            throw e;
        }
        log.info("Hub network of {} hubs on ports {}-{} in namespace {}", count, hubs.get(0).getPort(),
                hubs.get(count - 1).getPort(), base.hub().namespace());
        return hubs;
    }

    private static String dialable(String host) {
        return host.equals("0.0.0.0") ? "127.0.0.1" : host;
    }

    private static int intVar(Map<String, String> env, String name, int def) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new PeerPigeonException.ConfigException("Environment variable " + name + " must be an integer, got '" + v + "'");
        }
    }
}
