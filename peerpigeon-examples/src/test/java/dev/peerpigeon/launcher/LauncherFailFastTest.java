package dev.peerpigeon.launcher;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.ForkedJvm;
import dev.peerpigeon.testkit.ForkedServerMain;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher exits non-zero when its server stops on its own, so a supervisor restarts it (issue 9, item 7). */
class LauncherFailFastTest {

    @Test
    void theLauncherExitsWithStatus1WhenItsServerStopsOnItsOwn() throws Exception {
        try (ForkedJvm jvm = ForkedJvm.start(FaultyLauncherMain.class.getName(),
                Map.of("PORT", "0", "HOST", "127.0.0.1"), 0, List.of("-Xmx64m"))) {
            int port = ForkedServerMain.awaitPort(jvm);
            TestClient a = TestClient.connect(port).announce("n1");
            TestClient b = TestClient.connect(port).announce("n1");
            a.awaitDiscovered(b.peerId());
            a.offer(b.peerId(), "v=0 before the fault");
            b.awaitType("offer");
            try {
                RawHttp.upgrade(port, "/?peerId=" + PeerId.generate() + "&oom=1");
            } catch (IOException expected) {
                // the process goes away under this request
            }
            assertThat(jvm.awaitExit(Duration.ofSeconds(20))).isEqualTo(1);
            assertThat(jvm.output()).anyMatch(l -> l.contains("stopped: its transport failed")
                    && l.contains("OutOfMemoryError: injected by the test"));
            assertThat(jvm.output()).anyMatch(l -> l.contains("exiting with status 1"));
            // the bystanders were disconnected (and would reconnect to the restarted process)
            a.awaitClosed();
            b.awaitClosed();
        }
    }
}
