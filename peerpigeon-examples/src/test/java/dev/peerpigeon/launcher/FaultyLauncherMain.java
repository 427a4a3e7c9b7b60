package dev.peerpigeon.launcher;

import dev.peerpigeon.AdmissionHook;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;

import java.util.List;

/**
 * {@link ServerLauncher#main} with one test fault: its admission hook (which runs on a transport worker thread)
 * throws an OutOfMemoryError for a request carrying {@code ?oom}. Prints {@code FORKED-PORT <port>}.
 */
public final class FaultyLauncherMain {
    private FaultyLauncherMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        AdmissionHook faulty = req -> {
            if (req.queryParam("oom") != null) {
                throw new OutOfMemoryError("injected by the test");
            }
            return AdmissionHook.Decision.accept();
        };
        ServerConfig config = ServerConfig.fromEnvironment(System.getenv()).toBuilder().admission(faulty).buildConfig();
        PeerPigeonServer server = PeerPigeonServer.create(config).start();
        System.out.println("FORKED-PORT " + server.getPort());
        System.out.flush();
        ServerLauncher.exitOnFailure(ServerLauncher.runUntilSignal(List.of(server), server::stop));
    }
}
