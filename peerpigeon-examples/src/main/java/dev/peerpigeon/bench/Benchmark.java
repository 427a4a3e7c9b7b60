package dev.peerpigeon.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.testkit.NpmPackages;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Side-by-side benchmark: runs each workload of {@link LoadGenerator} against OUR server (the jar) and
 * the REFERENCE server (npm peerpigeon@1.1.3, {@code node server/start.js}), one after the other with
 * the same parameters and a fresh server process each time, and prints both figures and the ratio.
 * Server CPU and RSS are read from /proc. See README "Performance".
 *
 * <p>Open loop (W2O, run with W2): W2 at a fixed offered rate, 30 % and 70 % of the reference's closed-loop W2
 * maximum from the same run (or {@code rates=A,B}), both servers at the same rates, latency from the
 * intended send time ({@link OpenLoop}) after {@code warmup} seconds at that rate (default 2, both servers).
 * The closed-loop W2 and W4 runs also relay for {@code warmup} seconds unmeasured before their window, for both
 * servers alike, so that they compare steady states (V8 and C2 have both compiled the relay path); the cold
 * server's behaviour has its own rows (W3, W5: a fresh process, measured from its first connection).
 *
 * <pre>java -jar peerpigeon-bench.jar [quick|full] [only=W2,W3] [rates=15000,35000] [warmup=2]</pre>
 */
public final class Benchmark {
    private static final long TICKS_PER_SECOND = 100; // Linux USER_HZ
    private final ServerLauncher launcher;
    /** This jar (the load generator's classpath). */
    private final Path benchJar;
    private final List<String[]> table = new ArrayList<>();
    private final Map<String, JsonObject> results = new LinkedHashMap<>();
    private static final String W2_TITLE = "W2 relay 50 pairs, 1 KB SDP";
    private static final List<String> CLOSED_LOOP_METRICS = List.of("fullDiscoverySeconds", "handshakeP99Ms",
            "msgsPerSecond", "latencyP99Ms", "msgsPerServerCpuSecond", "deliveriesPerSecond", "duplicateDiscoveries",
            "rssPerConnectionBytes", "rssSettledPerConnectionBytes", "errors", "clientCores", "flooderClosedByServer");
    private static final List<String> OPEN_LOOP_METRICS = List.of("receivedPerSecond", "latencyP50Ms", "latencyP90Ms",
            "latencyP99Ms", "latencyP999Ms", "latencyMaxMs", "senderLagP99Ms", "senderLagMaxMs", "lateSends",
            "msgsPerServerCpuSecond", "errors", "clientCores");

    Benchmark(Path jar, Path reference) {
        this.launcher = new ServerLauncher(jar, reference);
        try {
            this.benchJar = Path.of(Benchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "standard";
        String only = null;
        String rates = null;
        int warmup = 2;
        for (String a : args) {
            if (a.startsWith("only=")) {
                only = a.substring(5);
            } else if (a.startsWith("rates=")) {
                rates = a.substring(6);
            } else if (a.startsWith("warmup=")) {
                warmup = Integer.parseInt(a.substring(7));
            }
        }
        Path jar = serverJar();
        System.out.println("Installing/checking the reference server (npm peerpigeon@" + NpmPackages.REFERENCE_VERSION
                + ") in " + NpmPackages.cacheRoot());
        Path ref = NpmPackages.reference();
        Benchmark b = new Benchmark(jar, ref);
        boolean quick = mode.equals("quick");
        boolean full = mode.equals("full");
        System.out.printf("Benchmark (%s) on %d cores; ours: %s; reference: %s%n", mode,
                Runtime.getRuntime().availableProcessors(), jar.getFileName(), ref);
        List<Map.Entry<String, Runnable>> runs = new ArrayList<>();
        runs.add(Map.entry("W1", () -> b.compare("W1", "W1 connect+announce 1000 peers / 10 networks", "peers=1000", "networks=10")));
        if (!quick) {
            runs.add(Map.entry("W1", () -> b.compare("W1", "W1 connect+announce 5000 peers / 10 networks", "peers=5000", "networks=10")));
        }
        if (full) {
            runs.add(Map.entry("W1", () -> b.compare("W1", "W1 connect+announce 10000 peers / 10 networks", "peers=10000", "networks=10", "timeout=300")));
        }
        String givenRates = rates;
        int warmupSeconds = warmup;
        runs.add(Map.entry("W2", () -> b.compare("W2", W2_TITLE, "pairs=50", "seconds=" + (quick ? 3 : 10),
                "warmup=" + warmupSeconds)));
        runs.add(Map.entry("W2O", () -> b.openLoop(givenRates, quick ? 3 : 10, warmupSeconds)));
        runs.add(Map.entry("W3", () -> b.compare("W3", "W3 join storm 500 peers", "peers=500")));
        if (!quick) {
            runs.add(Map.entry("W3", () -> b.compare("W3", "W3 join storm 1000 peers", "peers=1000")));
        }
        if (full) {
            runs.add(Map.entry("W3", () -> b.compare("W3", "W3 join storm 2000 peers", "peers=2000", "timeout=600")));
        }
        runs.add(Map.entry("W4", () -> b.compareHubs("W4 cross-hub relay 50 pairs over 2 hubs", "pairs=50",
                "seconds=" + (quick ? 3 : 10), "warmup=" + warmupSeconds)));
        runs.add(Map.entry("W5", () -> b.compare("W5", "W5 idle connections", "peers=" + (quick ? 2000 : 19_500), "hold=8", "timeout=300")));
        runs.add(Map.entry("W6", () -> b.compare("W6", "W6 W2 with one flooding client", "pairs=50", "seconds=" + (quick ? 3 : 10))));
        for (Map.Entry<String, Runnable> r : runs) {
            List<String> selected = only == null ? null : List.of(only.split(","));
            if (selected == null || selected.contains(r.getKey()) || (r.getKey().equals("W2O") && selected.contains("W2"))) {
                r.getValue().run();
            }
        }
        b.print();
    }

    /** The server jar: {@code -Dbench.serverJar}, else peerpigeon-server.jar beside this jar. */
    static Path serverJar() throws java.net.URISyntaxException {
        String p = System.getProperty("bench.serverJar");
        if (p != null) {
            return Path.of(p);
        }
        Path self = Path.of(Benchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = self.resolveSibling("peerpigeon-server.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no server jar at " + jar + " (mvn package, or -Dbench.serverJar=...)");
        }
        return jar;
    }

    // ------------------------------------------------------------------ runs

    /** Runs the generator; samples server CPU between its "start"/"end" lines and RSS at "ready" and "settled". */
    private JsonObject generate(List<ServerProcess> servers, String workload, String... params) {
        List<String> cmd = new ArrayList<>(List.of("java", "-cp", benchJar.toString(), LoadGenerator.class.getName(), workload));
        cmd.addAll(List.of(params));
        long[] cpuStart = new long[1];
        long cpuAll0 = ServerProcess.totalTicks(servers);
        long rssBefore = ServerProcess.totalRss(servers);
        long[] rssReady = {-1};
        long[] rssSettled = {-1};
        long[] cpuWindow = {-1};
        JsonObject result = null;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.startsWith("{")) {
                        continue;
                    }
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    String phase = o.has("phase") ? o.get("phase").getAsString() : "";
                    switch (phase) {
                        case "start" -> cpuStart[0] = ServerProcess.totalTicks(servers);
                        case "end" -> cpuWindow[0] = ServerProcess.totalTicks(servers) - cpuStart[0];
                        case "ready" -> rssReady[0] = ServerProcess.totalRss(servers);
                        case "settled" -> rssSettled[0] = ServerProcess.totalRss(servers);
                        default -> result = o;
                    }
                }
            }
            p.waitFor(15, TimeUnit.MINUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (result == null) {
            result = new JsonObject();
            result.addProperty("failed", true);
        }
        double cpuSeconds = (ServerProcess.totalTicks(servers) - cpuAll0) / (double) TICKS_PER_SECOND;
        result.addProperty("serverCpuSeconds", LoadGenerator.round(cpuSeconds));
        if (cpuWindow[0] >= 0 && result.has("msgsPerSecond")) {
            double windowCpu = cpuWindow[0] / (double) TICKS_PER_SECOND;
            result.addProperty("serverCpuSecondsInWindow", LoadGenerator.round(windowCpu));
            result.addProperty("msgsPerServerCpuSecond", Math.round(result.get("relayedMessages").getAsLong() / Math.max(0.01, windowCpu)));
        }
        if (rssReady[0] > 0 && result.has("open")) {
            long open = Math.max(1, result.get("open").getAsLong());
            result.addProperty("rssBeforeKb", rssBefore);
            result.addProperty("rssLoadedKb", rssReady[0]);
            result.addProperty("rssPerConnectionBytes", (rssReady[0] - rssBefore) * 1024 / open);
            if (rssSettled[0] > 0) {
                result.addProperty("rssSettledKb", rssSettled[0]);
                result.addProperty("rssSettledPerConnectionBytes", (rssSettled[0] - rssBefore) * 1024 / open);
            }
        }
        return result;
    }

    void compare(String workload, String title, String... params) {
        compare(workload, title, CLOSED_LOOP_METRICS, params);
    }

    /**
     * W2 open loop at 30 % and 70 % of the reference's closed-loop W2 maximum (from this run's W2 row, else
     * measured now), or at {@code givenRates}; both servers at the same rate.
     */
    void openLoop(String givenRates, int seconds, int warmup) {
        List<Long> rates = new ArrayList<>();
        if (givenRates != null) {
            for (String r : givenRates.split(",")) {
                rates.add(Long.parseLong(r.trim()));
            }
            System.out.println("== W2 open-loop rates given: " + rates);
        } else {
            JsonObject ref = results.get(W2_TITLE + " / reference");
            if (ref == null || !ref.has("msgsPerSecond")) {
                System.out.println("== W2 closed loop, reference only (its maximum sets the open-loop rates)");
                int port = ServerProcess.freePort();
                try (ServerProcess s = launcher.referenceServer(port)) {
                    ref = generate(List.of(s), "W2", withUrl(new String[]{"pairs=50", "seconds=" + seconds}, "ws://127.0.0.1:" + port));
                }
                System.out.println("   reference: " + ref);
                table.add(new String[]{W2_TITLE + " (reference only)", "msgsPerSecond", "-",
                        ref.has("msgsPerSecond") ? ref.get("msgsPerSecond").getAsString() : "-", "-"});
            }
            if (!ref.has("msgsPerSecond") || ref.get("msgsPerSecond").getAsLong() <= 0) {
                System.out.println("   no reference W2 maximum: open-loop rows skipped (give rates=A,B)");
                return;
            }
            long max = ref.get("msgsPerSecond").getAsLong();
            for (int pct : new int[]{30, 70}) {
                rates.add(Math.max(100, Math.round(max * pct / 100.0 / 100) * 100)); // to the nearest 100/s
            }
            System.out.println("== W2 open-loop rates: 30 % / 70 % of the reference's closed-loop W2 max " + max
                    + " msgs/s = " + rates);
        }
        for (long rate : rates) {
            String title = "W2 open-loop " + rate + "/s, 50 pairs";
            compare("W2", title, OPEN_LOOP_METRICS, "pairs=50", "seconds=" + seconds, "rate=" + rate,
                    "warmup=" + warmup, "drain=5");
            for (String side : List.of("ours", "reference")) {
                JsonObject o = results.get(title + " / " + side);
                if (o != null && o.has("senderLagP99Ms") && o.get("senderLagP99Ms").getAsDouble() > 1.0) {
                    System.out.println("   note (" + side + "): the generator fell behind its schedule (sender lag p99 "
                            + o.get("senderLagP99Ms").getAsString() + " ms); the latencies include that lag");
                }
            }
        }
    }

    void compare(String workload, String title, List<String> metrics, String... params) {
        System.out.println("== " + title);
        int p1 = ServerProcess.freePort();
        JsonObject o;
        // W6 measures abuse: our server runs with its default message rate limit there.
        Map<String, String> env = workload.equals("W6") ? Map.of("MAX_MESSAGES_PER_SECOND", "1000") : Map.of();
        try (ServerProcess s = launcher.ours(p1, env)) {
            o = generate(List.of(s), workload, withUrl(params, "ws://127.0.0.1:" + p1));
        }
        System.out.println("   ours:      " + o);
        int p2 = ServerProcess.freePort();
        JsonObject r;
        try (ServerProcess s = launcher.referenceServer(p2)) {
            r = generate(List.of(s), workload, withUrl(params, "ws://127.0.0.1:" + p2));
        }
        System.out.println("   reference: " + r);
        record(title, o, r, metrics);
    }

    void compareHubs(String title, String... params) {
        System.out.println("== " + title);
        int a = ServerProcess.freePort();
        int b = ServerProcess.freePort();
        JsonObject o;
        try (ServerProcess h1 = launcher.ours(a, Map.of("IS_HUB", "true", "AUTO_CONNECT", "false"));
             ServerProcess h2 = launcher.ours(b, Map.of("IS_HUB", "true", "BOOTSTRAP", "ws://127.0.0.1:" + a))) {
            o = generate(List.of(h1, h2), "W4", withUrls(params, a, b));
        }
        System.out.println("   ours:      " + o);
        int c = ServerProcess.freePort();
        int d = ServerProcess.freePort();
        JsonObject r;
        try (ServerProcess h1 = launcher.referenceHub(c, null); ServerProcess h2 = launcher.referenceHub(d, c)) {
            r = generate(List.of(h1, h2), "W4", withUrls(params, c, d));
        }
        System.out.println("   reference: " + r);
        record(title, o, r, CLOSED_LOOP_METRICS);
    }

    private static String[] withUrl(String[] params, String url) {
        List<String> l = new ArrayList<>(List.of(params));
        l.add("url=" + url);
        return l.toArray(new String[0]);
    }

    private static String[] withUrls(String[] params, int a, int b) {
        List<String> l = new ArrayList<>(List.of(params));
        l.add("url=ws://127.0.0.1:" + a);
        l.add("url2=ws://127.0.0.1:" + b);
        return l.toArray(new String[0]);
    }

    private void record(String title, JsonObject ours, JsonObject ref, List<String> metrics) {
        results.put(title + " / ours", ours);
        results.put(title + " / reference", ref);
        for (String metric : metrics) {
            if (ours.has(metric) || ref.has(metric)) {
                String o = ours.has(metric) ? ours.get(metric).getAsString() : "-";
                String r = ref.has(metric) ? ref.get(metric).getAsString() : "-";
                table.add(new String[]{title, metric, o, r, ratio(o, r)});
            }
        }
    }

    private static String ratio(String o, String r) {
        try {
            double a = Double.parseDouble(o);
            double b = Double.parseDouble(r);
            return b == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
        } catch (NumberFormatException e) {
            return "-";
        }
    }

    void print() {
        System.out.println();
        System.out.printf("%-50s %-24s %14s %14s %9s%n", "workload", "metric", "ours", "reference", "ratio");
        for (String[] row : table) {
            System.out.printf("%-50s %-24s %14s %14s %9s%n", (Object[]) row);
        }
        try {
            Path out = Path.of("target", "benchmark-results.json");
            Files.createDirectories(out.getParent());
            JsonObject all = new JsonObject();
            results.forEach(all::add);
            Files.writeString(out, all.toString());
            System.out.println("\nraw results: " + out.toAbsolutePath());
        } catch (IOException e) {
            System.out.println("could not write raw results: " + e);
        }
    }
}
