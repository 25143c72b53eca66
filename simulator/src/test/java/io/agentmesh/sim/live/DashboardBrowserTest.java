package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.protocol.identity.NodeId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in a real headless browser (Debian's Chromium and chromedriver, installed by
 * {@code scripts/ensure-chromium} when missing) on a mesh of three real {@code node run} processes hosting an agent:
 * the page opened on a follower shows the leader, its history, the mesh, memory (as text, even when it is markup) and
 * intents with their outcomes; after a kill -9 of the leader it shows the new leader within a bounded time; at a
 * phone's width nothing overflows sideways; the new leader's own page shows the agent running there with its output,
 * and, once it ran a backup and a drill, the target fresh and the drill passed. Screenshots go to
 * {@code target/dashboard/}.
 */
class DashboardBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** From the kill to the page naming the new leader: election plus at most a couple of one-second polls. */
    private static final Duration NEW_LEADER_SHOWN_WITHIN = Duration.ofSeconds(45);
    private static final String MARKUP = "<img src=x id=planted-img><script>window.planted=1</script> written by an agent";
    private static Path browser;
    private static Path driverBinary;

    @TempDir
    Path dir;

    @BeforeAll
    static void ensureChromium() throws Exception {
        Path script = repoRoot().resolve("scripts/ensure-chromium");
        Path out = Files.createTempFile("ensure-chromium", ".out");
        Path err = Files.createTempFile("ensure-chromium", ".err");
        try {
            Process p = new ProcessBuilder("sh", script.toString()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("scripts/ensure-chromium did not finish in 10 minutes");
            }
            assertEquals(0, p.exitValue(), "scripts/ensure-chromium failed: " + Files.readString(err));
            List<String> lines = Files.readAllLines(out);
            assertEquals(2, lines.size(), "browser and driver paths: " + lines);
            browser = Path.of(lines.get(0));
            driverBinary = Path.of(lines.get(1));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void theDashboardOnAFollowerShowsTheNewLeaderAfterTheLeaderIsKilled() throws Exception {
        Path shots = Path.of("target", "dashboard").toAbsolutePath();
        Files.createDirectories(shots);
        List<String> agent = List.of("/bin/sh", "-c",
                "i=0; while true; do i=$((i+1)); echo \"agent heartbeat $i\"; sleep 1; done");
        Path clusterDir = dir.resolve("cluster");
        Files.createDirectories(dir.resolve("nas"));
        String backupJson = "{\"targets\": [{\"id\": \"nas\", \"uri\": \"" + dir.resolve("nas").toUri() + "\"}]}";
        for (int i = 1; i <= 3; i++) {
            Files.createDirectories(clusterDir.resolve("n" + i));
            Files.writeString(clusterDir.resolve("n" + i).resolve("backup.json"), backupJson);
        }
        try (LiveCluster c = LiveCluster.start(LiveCluster.Options.of(3, 0).withAgent(agent)
                .withDir(clusterDir, false))) {
            grantThePhraseRecipient(c);
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(driverBinary.toFile()).usingAnyFreePort().build();
            WebDriver driver = new ChromeDriver(service, options(dir.resolve("chromium-profile")));
            try {
                driver.manage().window().setSize(new Dimension(1280, 1700));
                LiveCluster.Node[] leaderAndWatched = {null, null};
                settle(driver, c, leaderAndWatched);
                LiveCluster.Node watched = leaderAndWatched[1];
                assertTrue(driver.getCurrentUrl().endsWith("/ui/"), "the root redirects to the dashboard: "
                        + driver.getCurrentUrl());
                assertEquals(watched.id().shortForm(), text(driver, "self-id"));
                writeSomeState(watched);
                await().atMost(WAIT).until(() -> !driver.findElements(By.cssSelector("#leader-timeline rect")).isEmpty()
                        && driver.findElements(By.cssSelector("#peers tbody tr")).size() == 2
                        && driver.findElements(By.cssSelector("#mesh-graph circle")).size() >= 3);
                await().atMost(WAIT).until(() -> text(driver, "memory-list").contains(MARKUP));
                await().atMost(WAIT).until(() -> !driver.findElements(
                        By.cssSelector("#intent-rows .pill.succeeded")).isEmpty());
                assertTrue(driver.findElements(By.id("planted-img")).isEmpty(), "markup from the state became an element");
                assertEquals(Boolean.FALSE, ((JavascriptExecutor) driver).executeScript("return window.planted === 1"),
                        "a script from the state ran");
                assertFalse(driver.findElement(By.id("wallet")).isDisplayed(), "no wallet here: its section stays hidden");
                assertFalse(driver.findElement(By.id("login")).isDisplayed(), "loopback asks for no token");
                screenshot(driver, shots.resolve("before-desktop.png"));

                // Leadership may have moved since (a loaded machine sees elections): kill the leader of now.
                settle(driver, c, leaderAndWatched);
                LiveCluster.Node leader = leaderAndWatched[0];
                int termBefore = Integer.parseInt(text(driver, "term"));
                long killedAt = System.nanoTime();
                c.kill9(leader.index());
                await().atMost(NEW_LEADER_SHOWN_WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> {
                    String shown = driver.findElement(By.id("leader")).getAttribute("title");
                    return shown != null && !shown.isEmpty() && !shown.equals(leader.id().toString());
                });
                long shownMs = (System.nanoTime() - killedAt) / 1_000_000;
                LiveCluster.Node successor = awaitLeaderShown(driver, c, Set.of(leader));
                assertTrue(Integer.parseInt(text(driver, "term")) > termBefore, "a new term");
                await().atMost(WAIT).until(() -> text(driver, "leader-changes").contains(successor.id().shortForm()));
                await().atMost(WAIT).until(() -> peerRow(driver, leader).map(r -> r.contains("down")).orElse(false));
                System.out.printf("dashboard: the new leader %s was shown %d ms after the kill -9 of %s%n",
                        successor.id().shortForm(), shownMs, leader.id().shortForm());
                screenshot(driver, shots.resolve("after-desktop.png"));

                // The agent moved with the leadership: the leader's own page shows it running and its output (on a
                // loaded machine the leadership may move again meanwhile: follow it).
                await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                    Optional<LiveCluster.Node> now = onLeadersPage(driver, c, Set.of(leader));
                    if (now.isEmpty()) {
                        return false;
                    }
                    return shows(driver, now.get()) && text(driver, "agent-facts").contains("running")
                            && text(driver, "agent-output").contains("agent heartbeat");
                });
                // Backups and drills run on the leader, and each node reports its own runs: the leader's page shows
                // the target fresh and the drill passed once the leader of now has run both.
                LiveCluster.Node[] backedUpOn = {null};
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                    Optional<LiveCluster.Node> now = onLeadersPage(driver, c, Set.of(leader));
                    if (now.isEmpty()) {
                        return false;
                    }
                    if (backedUpOn[0] != now.get()) {
                        NodeClient.Response b = now.get().client().post("/v1/backup", Map.of(), Duration.ofSeconds(120));
                        NodeClient.Response d = b.ok() ? now.get().client().post("/v1/drill", Map.of(),
                                Duration.ofSeconds(120)) : b;
                        if (b.ok() && d.ok()) {
                            backedUpOn[0] = now.get();
                        } // else a 409: the leadership moved on; ask the next leader
                        return false;
                    }
                    Object row = ((JavascriptExecutor) driver).executeScript(
                            "const r = document.querySelector('#backup-rows tbody tr'); return r ? r.innerText : ''");
                    return shows(driver, now.get()) && String.valueOf(row).startsWith("nas")
                            && driver.findElements(By.cssSelector("#backup-rows .pill.ok")).size() == 2;
                });
                screenshot(driver, shots.resolve("leader-desktop.png"));

                // A token in the fragment (for nodes bound beyond loopback) is kept for the tab, not in the address bar.
                driver.get(driver.getCurrentUrl() + "#token=t0ken-from-init");
                await().atMost(Duration.ofSeconds(10)).until(() -> !driver.getCurrentUrl().contains("#")
                        && "t0ken-from-init".equals(((JavascriptExecutor) driver).executeScript(
                        "return sessionStorage.getItem('agentmesh.token')")));
                awaitLeaderShown(driver, c, Set.of(leader));

                driver.manage().window().setSize(new Dimension(390, 844));
                await().atMost(Duration.ofSeconds(10)).until(() -> (Boolean) ((JavascriptExecutor) driver).executeScript(
                        "const t = document.querySelector('#leader-timeline svg');"
                                + " return window.innerWidth <= 420 && t !== null && t.viewBox.baseVal.width <= 420"));
                Object overflow = ((JavascriptExecutor) driver).executeScript(
                        "return document.documentElement.scrollWidth - window.innerWidth");
                assertTrue(((Number) overflow).intValue() <= 0, () -> "at a phone's width the page scrolls sideways by "
                        + overflow + " px; too wide: " + ((JavascriptExecutor) driver).executeScript(
                        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
                                + " > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '#' + e.id + '.'"
                                + " + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"));
                screenshot(driver, shots.resolve("phone.png"));

                List<String> violations = new ArrayList<>();
                for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                    if (e.getMessage().contains("Content Security Policy") || e.getMessage().contains("Refused to")) {
                        violations.add(e.getMessage());
                    }
                }
                assertTrue(violations.isEmpty(), "the page broke its own policy: " + violations);
            } catch (AssertionError | RuntimeException e) {
                screenshot(driver, shots.resolve("failure.png"));
                throw e;
            } finally {
                driver.quit();
                service.stop();
            }
        }
    }

    private static ChromeOptions options(Path profile) throws IOException {
        Files.createDirectories(profile);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(browser.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        return o;
    }

    /**
     * What {@code agentmesh init} does for a new agent: the phrase recipient's grant, signed by the agent root, in
     * every node's identity directory, so each run of the leader can encrypt a backup to it.
     */
    private static void grantThePhraseRecipient(LiveCluster c) throws Exception {
        var root = io.agentmesh.protocol.identity.IdentityDirectory.of(c.dir().resolve("agent"))
                .readAgentRoot(Optional.empty());
        var grant = io.agentmesh.node.backup.format.RecipientGrant.phrase(root);
        for (LiveCluster.Node n : c.nodes()) {
            io.agentmesh.node.backup.run.BackupGrants.writePhraseGrant(n.home().resolve("identity"), grant);
        }
    }

    /** A memory entry that is markup, and a few jobs, so the page has text to escape and outcomes to draw. */
    private static void writeSomeState(LiveCluster.Node at) throws Exception {
        NodeClient.Response m = at.client().post("/v1/memory", Map.of("text", MARKUP, "kind", "note",
                "tags", List.of("<b>tag</b>")), Duration.ofSeconds(10));
        assertEquals(201, m.status(), m.body().toString());
        for (int i = 0; i < 4; i++) {
            NodeClient.Response r = at.client().post("/v1/intents", Map.of("kind", "job",
                    "payload", Map.of("n", i)), Duration.ofSeconds(10));
            assertEquals(201, r.status(), r.body().toString());
        }
    }

    /**
     * Settles on a leader every node names and that the page, on another node, shows: {@code leaderAndWatched[0]}
     * is that leader, {@code [1]} the node whose page is open (opened anew when the leadership moved to it). A new
     * mesh's first seconds, or a loaded machine, may see several elections.
     */
    private static void settle(WebDriver driver, LiveCluster c, LiveCluster.Node[] leaderAndWatched) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
            Optional<LiveCluster.Node> l = agreedLeader(c, Set.of());
            if (l.isEmpty()) {
                return false;
            }
            if (leaderAndWatched[1] == null || leaderAndWatched[1] == l.get()) {
                leaderAndWatched[1] = c.nodes().stream().filter(n -> n != l.get()).findFirst().orElseThrow();
                driver.get("http://127.0.0.1:" + leaderAndWatched[1].httpPort() + "/");
            }
            leaderAndWatched[0] = l.get();
            return shows(driver, l.get());
        });
    }

    /** The leader every running node names now, when they agree on one that runs and is not in {@code excluded}. */
    private static Optional<LiveCluster.Node> agreedLeader(LiveCluster c, Set<LiveCluster.Node> excluded)
            throws InterruptedException {
        Set<String> named = new HashSet<>();
        for (LiveCluster.Node n : c.nodes()) {
            if (!n.alive()) {
                continue;
            }
            try {
                JsonNode s = n.client().get("/v1/status", Duration.ofSeconds(2)).body();
                named.add(s.path("consensus").path("leader").asText(""));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (named.size() != 1) {
            return Optional.empty();
        }
        return c.byId(named.iterator().next()).filter(l -> l.alive() && !excluded.contains(l));
    }

    /** The leader the running nodes agree on (none in {@code excluded}), with its own page open in the browser. */
    private static Optional<LiveCluster.Node> onLeadersPage(WebDriver driver, LiveCluster c,
                                                            Set<LiveCluster.Node> excluded) throws InterruptedException {
        Optional<LiveCluster.Node> now = agreedLeader(c, excluded);
        if (now.isPresent()) {
            String page = "http://127.0.0.1:" + now.get().httpPort() + "/ui/";
            if (!driver.getCurrentUrl().startsWith(page)) {
                driver.get(page);
            }
        }
        return now;
    }

    /** Waits until the page shows the leader the running nodes agree on (none in {@code excluded}); returns it. */
    private static LiveCluster.Node awaitLeaderShown(WebDriver driver, LiveCluster c, Set<LiveCluster.Node> excluded) {
        LiveCluster.Node[] found = new LiveCluster.Node[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
            Optional<LiveCluster.Node> l = agreedLeader(c, excluded);
            l.ifPresent(n -> found[0] = n);
            return l.isPresent() && shows(driver, l.get());
        });
        return found[0];
    }

    /** Whether the page names {@code leader} as the leader: its short form, and its whole id on hover. */
    private static boolean shows(WebDriver driver, LiveCluster.Node leader) {
        WebElement shown = driver.findElement(By.id("leader"));
        NodeId id = leader.id();
        return id.toString().equals(shown.getAttribute("title")) && id.shortForm().equals(shown.getText());
    }

    /** The peer's row in the table, read in one script call: the page redraws its rows every second. */
    private static Optional<String> peerRow(WebDriver driver, LiveCluster.Node peer) {
        Object rows = ((JavascriptExecutor) driver).executeScript(
                "return [...document.querySelectorAll('#peers tbody tr')].map(r => r.innerText)");
        for (Object row : (List<?>) rows) {
            if (String.valueOf(row).startsWith(peer.id().shortForm())) {
                return Optional.of(String.valueOf(row));
            }
        }
        return Optional.empty();
    }

    private static String text(WebDriver driver, String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private static void screenshot(WebDriver driver, Path to) throws IOException {
        File shot = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(0, Files.size(to));
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/ensure-chromium"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("scripts/ensure-chromium not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
