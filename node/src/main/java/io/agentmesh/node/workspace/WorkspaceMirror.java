package io.agentmesh.node.workspace;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.Limits;
import io.agentmesh.state.TextMerge;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.WorkspaceFile;
import io.agentmesh.state.WorkspacePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the agent's workspace directory and the document's workspace the same on this node, in both directions.
 *
 * <p><b>Threads.</b> All file IO and all of this class's bookkeeping run on one worker thread of its own
 * ({@code workspace-<node>}); a second thread only waits on the {@link WatchService} and hands paths over. The
 * document is read and written through {@link WorkspaceNode}, on the node thread, never from here.
 *
 * <p><b>Local edits</b> are noticed by the watch service and by a periodic scan (size and modification time
 * first; the content is read only when they changed). For each changed file the mirror knows the last content that
 * was both on disk and in the document (the base). On the node thread, in one step, it reads the document's text
 * and writes {@link TextMerge#merge}(base, disk, document) as splices: a remote change the mirror has not written
 * to disk yet is kept, not reverted. If the merge differs from the disk, the disk gets the merge too.
 *
 * <p><b>Remote changes</b> (the paths the document reports as touched, polled every few ms) are written atomically:
 * a temporary file in the same directory, fsynced, then renamed over the target. Before the rename the target is
 * checked again; if it changed since it was read (someone is editing it), nothing is overwritten: the edit is read
 * and merged into the document first, then the merged text is written.
 *
 * <p><b>Across restarts</b> the bases are kept in a directory of the node's state ({@link BaseStore}), saved on
 * the mirror's thread after each sync, so a restarted node tells a stale copy on its disk (the document's content
 * wins) from an edit made while it was down (merged) and from a file deleted elsewhere meanwhile (deleted here);
 * see {@link #loadBases} for what a crash between two steps leaves.
 *
 * <p><b>Refused</b>, each with one log line (node, path, reason), a count and the last few in {@link #status()}:
 * binary files (not UTF-8, or containing NUL), files over {@link Limits#MAX_WORKSPACE_FILE_BYTES} (never read),
 * symbolic links (never followed, wherever they point), other non-regular files, paths that are not valid
 * {@link WorkspacePath}s, and new files past the file limit. A refused file on disk is never overwritten.
 */
public final class WorkspaceMirror implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkspaceMirror.class);
    private static final long NODE_TIMEOUT_MS = 30_000;
    private static final int MAX_LAST_REFUSALS = 10;
    private static final int MAX_IGNORE_FILE_BYTES = 64 * 1024;
    private static final int MAX_DEPTH = Limits.MAX_WORKSPACE_PATH_SEGMENTS;
    private static final String FULL = "the workspace already has ";

    /**
     * @param scanIntervalMs            between two full scans of the directory (the watch service covers the time
     *                                  in between)
     * @param pollIntervalMs            between two looks at which paths changed in the document
     * @param maxFiles                  files the mirror keeps; new ones past it are refused
     * @param maxLoggedRefusalsPerScan  log lines per scan before the rest are only counted (one summary line)
     * @param maxPendingEvents          watch events waiting for the worker; past it, a full scan replaces them
     * @param maxRememberedRefusals     refused files remembered so that a rescan does not log them again
     */
    public record Config(long scanIntervalMs, long pollIntervalMs, int maxFiles, int maxLoggedRefusalsPerScan,
                         int maxPendingEvents, int maxRememberedRefusals) {
        public Config {
            if (scanIntervalMs < 1 || pollIntervalMs < 1 || maxFiles < 0 || maxLoggedRefusalsPerScan < 0
                    || maxPendingEvents < 1 || maxRememberedRefusals < 0) {
                throw new IllegalArgumentException("workspace mirror settings must be positive");
            }
            if (maxFiles > Limits.MAX_WORKSPACE_FILES) {
                throw new IllegalArgumentException("the document holds at most " + Limits.MAX_WORKSPACE_FILES
                        + " workspace files");
            }
        }

        public static Config defaults() {
            return new Config(2_000, 10, Limits.MAX_WORKSPACE_FILES, 100, 10_000, 100_000);
        }
    }

    /** A file the mirror refused, and why. */
    public record Refusal(String path, String reason, long atMillis) {
    }

    private record Changed(Set<String> touched, Set<String> conflicts) {
    }

    /** What the mirror last knew to be both on disk and in the document. */
    private record Known(String content, long size, long mtimeNanos) {
    }

    private record Refused(String reason, long size, long mtimeNanos) {
    }

    /** What the disk holds at a path. */
    private sealed interface Disk {
    }

    private record Absent() implements Disk {
    }

    private record Unchanged(long size, long mtimeNanos) implements Disk {
    }

    private record Content(String text, long size, long mtimeNanos) implements Disk {
    }

    private record Bad(String reason, long size, long mtimeNanos) implements Disk {
    }

    private final Path root;
    private final WorkspaceNode node;
    private final Clock clock;
    private final Config config;
    private final String name;
    private final ScheduledExecutorService worker;
    private final WatchService watchService;
    private final Thread watcher;
    private final Map<WatchKey, Path> watched = new HashMap<>();
    private final Set<Path> watchedDirs = new HashSet<>();

    // worker thread only
    private final Map<String, Known> known = new HashMap<>();
    private final BaseStore bases;
    /** Local edits per path written to the document but not yet durable there: their base is saved after. */
    private final Map<String, Integer> awaitingDurable = new HashMap<>();
    private boolean baseSaveFailureLogged;
    private final Map<String, Refused> refused = new HashMap<>();
    private IgnoreRules ignore = IgnoreRules.defaults();
    private long ignoreFileStamp = -1;
    private int loggedThisRound;
    private int unloggedThisRound;
    private boolean watchLimitLogged;

    // watcher -> worker
    private final Object eventLock = new Object();
    private final Set<String> pendingEvents = new LinkedHashSet<>();
    private boolean rescanRequested;
    private boolean drainScheduled;

    // status, any thread
    private final AtomicLong refusedCount = new AtomicLong();
    private final ArrayDeque<Refusal> lastRefusals = new ArrayDeque<>();
    private final AtomicLong writtenToDisk = new AtomicLong();
    private final AtomicLong readFromDisk = new AtomicLong();
    private volatile long lastSyncMillis = -1;
    private volatile int fileCount;
    private volatile long byteCount;
    private volatile IgnoreRules ignoreView = IgnoreRules.defaults();
    private volatile List<Refusal> currentRefusals = List.of();
    private volatile boolean closed;

    private WorkspaceMirror(Path root, Path baseDir, WorkspaceNode node, Clock clock, Config config)
            throws IOException {
        this.root = root.toRealPath();
        this.node = node;
        this.clock = clock;
        this.config = config;
        this.name = node.nodeName();
        Path absoluteBaseDir = baseDir.toAbsolutePath().normalize();
        if (absoluteBaseDir.startsWith(this.root)) {
            throw new IllegalArgumentException("the workspace mirror's base directory " + baseDir + " is inside the"
                    + " workspace " + this.root + "; it belongs in the node's state directory");
        }
        this.bases = new BaseStore(absoluteBaseDir, this.root, name, config.maxFiles());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "workspace-" + name);
            t.setDaemon(true);
            return t;
        });
        this.watchService = this.root.getFileSystem().newWatchService();
        this.watcher = new Thread(this::watchLoop, "workspace-watch-" + name);
        watcher.setDaemon(true);
    }

    /**
     * Starts mirroring {@code root} (an existing directory): a first full sync (files on disk and files in the
     * document, merged where both hold one), then watching, polling and periodic scans. Returns at once; the first
     * sync runs on the mirror's thread.
     *
     * @param baseDir where the mirror keeps, per path, what was last both on disk and in the document, so that a
     *                restart tells an edit made while the node was down from a stale copy (in the node's state
     *                directory, never inside {@code root}; created when missing)
     */
    public static WorkspaceMirror start(Path root, Path baseDir, WorkspaceNode node, Clock clock, Config config)
            throws IOException {
        WorkspaceMirror m = new WorkspaceMirror(root, baseDir, node, clock, config);
        m.worker.execute(m.guard("first sync", m::firstSync));
        m.watcher.start();
        m.worker.scheduleWithFixedDelay(m.guard("poll", m::poll), config.pollIntervalMs(), config.pollIntervalMs(),
                TimeUnit.MILLISECONDS);
        m.worker.scheduleWithFixedDelay(m.guard("scan", m::scan), config.scanIntervalMs(), config.scanIntervalMs(),
                TimeUnit.MILLISECONDS);
        log.info("node {} mirrors workspace {}", m.name, m.root);
        return m;
    }

    public Path root() {
        return root;
    }

    /** The ignore rules in force (the defaults plus the workspace's ignore file). Any thread. */
    public IgnoreRules ignoreRules() {
        return ignoreView;
    }

    /** Files refused now (up to 100), for {@code GET /v1/workspace}. Any thread. */
    public List<Refusal> refusals() {
        return currentRefusals;
    }

    /** Figures for {@code /v1/status}. Any thread. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("dir", root.toString());
        s.put("files", fileCount);
        s.put("bytes", byteCount);
        s.put("refused", refusedCount.get());
        List<Map<String, Object>> last = new ArrayList<>();
        synchronized (lastRefusals) {
            for (Refusal r : lastRefusals) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", r.path());
                m.put("reason", r.reason());
                m.put("atMillis", r.atMillis());
                last.add(m);
            }
        }
        s.put("lastRefusals", last);
        s.put("writtenToDisk", writtenToDisk.get());
        s.put("readFromDisk", readFromDisk.get());
        s.put("lastSyncMillis", lastSyncMillis < 0 ? null : lastSyncMillis);
        return s;
    }

    /**
     * Waits until the mirror's thread has run everything queued before this call, and one more look at the watch
     * events and the document: what was on disk and in the document then is in both.
     */
    public void flush(long timeoutMs) throws InterruptedException, ExecutionException, TimeoutException {
        worker.submit(guard("flush", this::poll)).get(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** Takes the last local edits (bounded wait), then stops the mirror's threads. */
    @Override
    public void close() {
        if (!closed) {
            try {
                flush(2_000);
                // Bases of local edits that became durable meanwhile are saved by tasks queued behind the flush.
                worker.submit(() -> { }).get(2_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
                log.info("node {} workspace: the last edits were not all taken before stopping: {}", name,
                        e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closed = true;
        try {
            watchService.close();
        } catch (IOException e) {
            log.debug("node {} workspace watch service did not close: {}", name, e.toString());
        }
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
            watcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Runnable guard(String what, Runnable task) {
        return () -> {
            if (closed) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!closed) {
                    log.warn("node {} workspace {} failed: {}", name, what, e.toString());
                }
            }
        };
    }

    // ------------------------------------------------------------------ worker thread

    private void firstSync() {
        reloadIgnore();
        loadBases();
        scan();
        List<String> inDocument = awaitNode(node.read(s -> s.workspaceFiles().stream().map(WorkspaceFile::path)
                .toList()));
        beginRound();
        for (String path : inDocument) {
            if (!known.containsKey(path) && !refused.containsKey(path) && !ignore.ignores(path, false)) {
                reconcile(path);
            }
        }
        endRound();
    }

    /** Applies what the document changed since the last poll. */
    private void poll() {
        Changed changed = awaitNode(node.read(s -> new Changed(s.takeTouchedWorkspacePaths(),
                s.takeWorkspaceConflicts())));
        for (String path : changed.conflicts()) {
            // Two nodes created this path at once: if this node's text is the hidden one, bring its lines back.
            node.write(s -> s.resolveWorkspaceConflict(path)).whenComplete((merged, error) -> {
                if (Boolean.TRUE.equals(merged)) {
                    log.info("node {} workspace {}: created here and on another node at once; merged this node's"
                            + " lines into the copy every node shows", name, path);
                } else if (error != null && !closed) {
                    log.warn("node {} workspace {}: could not merge a concurrent creation: {}", name, path,
                            error.toString());
                }
            });
        }
        Set<String> touched = changed.touched();
        drainEvents();
        if (touched.isEmpty()) {
            return;
        }
        beginRound();
        for (String path : touched) {
            if (WorkspacePath.problem(path).isEmpty() && !ignore.ignores(path, false)) {
                reconcile(path);
            }
        }
        endRound();
    }

    private void drainEvents() {
        Set<String> events;
        boolean rescan;
        synchronized (eventLock) {
            events = new LinkedHashSet<>(pendingEvents);
            pendingEvents.clear();
            rescan = rescanRequested;
            rescanRequested = false;
            drainScheduled = false;
        }
        if (rescan) {
            scan();
            return;
        }
        if (events.isEmpty()) {
            return;
        }
        beginRound();
        for (String path : events) {
            if (path.equals(IgnoreRules.FILE_NAME)) {
                reloadIgnore();
            }
            consider(path, null);
        }
        endRound();
    }

    /** A full pass over the directory: new, changed and deleted files, and the ignore file. */
    private void scan() {
        reloadIgnore();
        beginRound();
        Set<String> seen = new HashSet<>();
        try {
            Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), MAX_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (closed) {
                        return FileVisitResult.TERMINATE;
                    }
                    if (!dir.equals(root)) {
                        String rel = relative(dir);
                        if (ignore.ignores(rel, true)) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                    }
                    watch(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String rel = relative(file);
                    if (!ignore.ignores(rel, attrs.isDirectory())) {
                        seen.add(rel);
                        consider(rel, attrs);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    log.debug("node {} workspace cannot read {}: {}", name, file, e.toString());
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("node {} workspace scan of {} failed: {}", name, root, e.toString());
            endRound();
            return;
        }
        for (String path : new ArrayList<>(known.keySet())) {
            if (!seen.contains(path)) {
                reconcile(path); // gone from disk (or now ignored: then it is left alone below)
            }
        }
        refused.keySet().removeIf(p -> !seen.contains(p) && !Files.exists(root.resolve(p), LinkOption.NOFOLLOW_LINKS));
        endRound();
        lastSyncMillis = clock.nowMillis();
    }

    /** One path seen on disk (attrs known) or named by a watch event (attrs null). */
    private void consider(String rel, BasicFileAttributes attrs) {
        if (ignore.ignores(rel, false)) {
            return;
        }
        Optional<String> problem = WorkspacePath.problem(rel);
        if (problem.isPresent()) {
            refuse(rel, "not a workspace path: " + problem.get(), -1, -1);
            return;
        }
        if (attrs == null) {
            try {
                attrs = Files.readAttributes(root.resolve(rel), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (known.containsKey(rel)) {
                    reconcile(rel); // deleted or renamed away
                } else {
                    // perhaps a directory deleted or renamed away: the files that were under it
                    String prefix = rel + "/";
                    for (String path : new ArrayList<>(known.keySet())) {
                        if (path.startsWith(prefix)) {
                            reconcile(path);
                        }
                    }
                }
                return;
            } catch (IOException e) {
                return;
            }
            if (attrs.isDirectory()) {
                requestRescan(); // a new or moved directory: the scan registers it and takes its files
                return;
            }
        }
        long mtime = attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        Known k = known.get(rel);
        if (k != null && k.size() == attrs.size() && k.mtimeNanos() == mtime && attrs.isRegularFile()) {
            return;
        }
        Refused r = refused.get(rel);
        boolean full = k == null && known.size() >= config.maxFiles();
        if (r != null && r.size() == attrs.size() && r.mtimeNanos() == mtime
                && (full || !r.reason().startsWith(FULL))) {
            return; // refused as it is now (a file refused for the limit is taken once there is room)
        }
        if (full) {
            refuse(rel, FULL + known.size() + " files; at most " + config.maxFiles() + " are mirrored",
                    attrs.size(), mtime);
            return;
        }
        reconcile(rel);
    }

    /**
     * Brings disk and document together at {@code path}. Retries when the disk changes under it (an edit while a
     * remote change was being written), a few times, then leaves it to the next scan.
     */
    private void reconcile(String path) {
        for (int attempt = 0; attempt < 4; attempt++) {
            try {
                if (reconcileOnce(path)) {
                    return;
                }
            } catch (IOException | UncheckedIOException e) {
                refuse(path, "cannot be mirrored: " + e, -1, -1);
                return;
            }
        }
        log.info("node {} workspace {}: it kept changing while being written; the next scan takes it", name, path);
    }

    /** Returns false when the disk changed between reading and writing it, so nothing was written. */
    private boolean reconcileOnce(String path) throws IOException {
        Known k = known.get(path);
        // A linked directory on the way would make every read and write below reach outside the workspace.
        Optional<String> parentProblem = parentProblem(path);
        if (parentProblem.isPresent()) {
            refuse(path, parentProblem.get(), -1, -1);
            forget(path);
            return true;
        }
        Disk disk = readDisk(path, k);
        if (disk instanceof Bad bad) {
            refuse(path, bad.reason(), bad.size(), bad.mtimeNanos());
            forget(path);
            return true;
        }
        if (refused.remove(path) != null) {
            publishRefusals();
        }
        String onDisk = switch (disk) {
            case Content c -> c.text();
            case Unchanged u -> k.content();
            default -> null;
        };
        boolean localChange = disk instanceof Content c ? k == null || !c.text().equals(k.content())
                : disk instanceof Absent && k != null;
        if (disk instanceof Content c && !localChange) {
            known.put(path, new Known(k.content(), c.size(), c.mtimeNanos())); // touched, same content
        }
        String base = k == null ? null : k.content();
        CompletableFuture<String[]> decided = new CompletableFuture<>();
        if (localChange) {
            awaitingDurable.merge(path, 1, Integer::sum);
        }
        CompletableFuture<Boolean> durable = node.write(s -> decide(s, path, base, onDisk, localChange, decided));
        if (localChange) {
            durable.whenComplete((ok, error) -> settled(path, error == null));
        }
        String[] target;
        try {
            target = decided.get(NODE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException) {
                refuse(path, cause.getMessage(), stampSize(disk), stampTime(disk));
                return true;
            }
            throw new IllegalStateException("the node could not take workspace file " + path + ": " + cause, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the node did not answer within " + NODE_TIMEOUT_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        durable.whenComplete((ok, error) -> {
            if (error != null && !closed) {
                log.warn("node {} workspace {}: the node did not store the change: {}", name, path, error.toString());
            }
        });
        if (localChange) {
            readFromDisk.incrementAndGet();
        }
        String want = target[0];
        if (Objects.equals(want, onDisk)) {
            if (want == null) {
                forget(path);
            } else if (!(disk instanceof Unchanged)) {
                Content c = (Content) disk;
                remember(path, new Known(want, c.size(), c.mtimeNanos()));
            }
            return true;
        }
        // The disk must change: only if nobody changed it since it was read.
        Path file = root.resolve(path);
        if (want == null) {
            if (!sameAsRead(file, disk)) {
                return false;
            }
            Files.deleteIfExists(file);
            forget(path);
            writtenToDisk.incrementAndGet();
            return true;
        }
        Optional<BasicFileAttributes> written = writeAtomically(file, want, disk);
        if (written.isEmpty()) {
            return false;
        }
        remember(path, new Known(want, written.get().size(),
                written.get().lastModifiedTime().to(TimeUnit.NANOSECONDS)));
        writtenToDisk.incrementAndGet();
        return true;
    }

    /**
     * On the node thread: reads the document's text and decides, in the same step, what the document and the disk
     * should hold. {@code decided} gets the disk's target (null: no file).
     */
    private static Optional<LocalChange> decide(AgentState s, String path, String base, String onDisk,
                                                boolean localChange, CompletableFuture<String[]> decided) {
        try {
            Optional<String> doc = s.workspaceFile(path);
            Optional<LocalChange> change = Optional.empty();
            String target;
            if (!localChange) {
                target = doc.orElse(null);
            } else if (onDisk == null) {
                // Deleted on disk: delete in the document unless it changed there meanwhile (then the edit wins).
                if (doc.isPresent() && doc.get().equals(base)) {
                    change = s.deleteWorkspaceFile(path);
                    target = null;
                } else {
                    target = doc.orElse(null);
                }
            } else {
                target = doc.isEmpty() ? onDisk
                        : base == null ? TextMerge.union(onDisk, doc.get())
                        : TextMerge.merge(base, onDisk, doc.get());
                change = s.writeWorkspaceFile(path, target);
            }
            decided.complete(new String[] {target});
            return change;
        } catch (RuntimeException e) {
            decided.completeExceptionally(e);
            throw e;
        }
    }

    // ------------------------------------------------------------------ bases kept across restarts

    /**
     * Before the first scan: the bases the last run saved become the known content of their paths, with no size or
     * time, so the scan reads each file and {@link #reconcileOnce} decides as it does while running. A file equal to
     * its base is a stale copy: the document's content (or its deletion) is written to disk. A file that differs
     * was edited while the node was down: three-way merge with the base. A file gone from disk was deleted while
     * the node was down: deleted in the document unless the document changed it meanwhile. Paths with no base are
     * merged keeping every line of both, as before bases were kept.
     *
     * <p><b>A crash between two steps</b> (kill -9, power loss) leaves the saved base one sync behind, never ahead:
     * <ul>
     * <li>A remote change is written to disk first, its base saved after. Crash between: disk and document hold the
     * new text, the base the old one; at restart the disk differs from its base, so it is "edited": merge(old, new,
     * new) is the new text, nothing added or lost. A remote deletion: the file is gone, the document has deleted it,
     * the base remains; at restart "deleted on disk" meets "deleted in the document": nothing to do, the base goes.
     * <li>A local edit's base is saved only once the document holds the edit durably ({@link #settled}); if the base
     * were saved first and the node died before the edit was durable, the restart would find disk equal to base and
     * let the document's older text overwrite the edit. Crash before the save: the base is the old text, disk and
     * document the merge; at restart merge(old, merge, merge) is the merge. Only if the node died after its store
     * took the merge and before the mirror wrote it to disk (the disk still holding the edit alone) and the edit
     * conflicted with the document's (same lines) does merge(old, edit, merge) show the edited lines twice: a line
     * repeated, never one lost. A local deletion keeps its base until the deletion is durable, so a crash in
     * between deletes it in the document at restart instead of bringing the file back.
     * </ul>
     * A base saved as an update appended to its file ({@link BaseStore}) and cut short by the crash is ignored: the
     * base before it stands, one sync behind as above. What is left: a base write that the disk itself loses or
     * tears elsewhere. The checksums drop such a base (one log line) and its path is merged as one with no base,
     * keeping every line of both.
     */
    private void loadBases() {
        Map<String, String> saved = bases.load(p -> WorkspacePath.problem(p).isEmpty() && !ignore.ignores(p, false));
        if (saved.isEmpty()) {
            return;
        }
        if (workspaceIsEmpty()) {
            // A new or emptied directory given as the workspace: reading every file as "deleted while the node was
            // down" would delete the whole workspace on every node. Start it afresh from the document instead.
            bases.clear();
            log.info("node {} workspace {} is empty, but {} files were synced to it before; taking it as a new"
                    + " workspace: the document's files are written to it and nothing is deleted", name, root,
                    saved.size());
            return;
        }
        if (awaitNode(node.read(AgentState::workspaceEntries)) == 0) {
            // A document that never held a workspace file (a new state directory that kept this one, or a new
            // mesh): "absent from the document" would read as "deleted elsewhere" and delete every file here.
            bases.clear();
            log.info("node {} workspace: the document has never held a workspace file, but {} files were synced"
                    + " before; taking the files on disk as new: they are written to the document and nothing is"
                    + " deleted", name, saved.size());
            return;
        }
        for (Map.Entry<String, String> e : saved.entrySet()) {
            known.put(e.getKey(), new Known(e.getValue(), -1, -1));
        }
        log.info("node {} workspace: {} saved bases loaded from {}", name, saved.size(), bases.dir());
    }

    private boolean workspaceIsEmpty() {
        try (var entries = Files.list(root)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code path} is now {@code k} on disk and in the document. */
    private void remember(String path, Known k) {
        Known before = known.put(path, k);
        if (before == null || !before.content().equals(k.content())) {
            saveBase(path);
        }
    }

    /** {@code path} is no longer on disk and in the document both (deleted, or refused). */
    private void forget(String path) {
        if (known.remove(path) != null) {
            saveBase(path);
        }
    }

    /** Any thread: a local edit's write to the document completed (durable when {@code durable}). */
    private void settled(String path, boolean durable) {
        try {
            worker.execute(guard("save base", () -> {
                Integer left = awaitingDurable.merge(path, -1, Integer::sum);
                if (left != null && left <= 0) {
                    awaitingDurable.remove(path);
                    if (durable) {
                        saveBase(path);
                    }
                    // not durable: the older base stays saved, so a restart merges the edit again from disk
                }
            }));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: the base stays one sync behind, which a restart merges safely (see loadBases)
        }
    }

    /** Saves what the mirror knows of {@code path} now (or that it knows nothing), unless an edit is in flight. */
    private void saveBase(String path) {
        if (awaitingDurable.containsKey(path)) {
            return; // saved by settled() once the document holds the edit durably
        }
        Known k = known.get(path);
        try {
            if (k == null) {
                bases.remove(path);
            } else {
                bases.save(path, k.content());
            }
        } catch (IOException | UncheckedIOException e) {
            if (!baseSaveFailureLogged) {
                baseSaveFailureLogged = true;
                log.warn("node {} workspace cannot save the base of {} in {} ({}); after a restart such files are"
                        + " merged keeping every line of disk and document (logged once)", name, path, bases.dir(),
                        e.toString());
            }
        }
    }

    private Disk readDisk(String path, Known k) throws IOException {
        Path file = root.resolve(path);
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return new Absent();
        }
        long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        if (a.isSymbolicLink()) {
            return new Bad(symlinkReason(file), a.size(), mtime);
        }
        if (a.isDirectory()) {
            return new Bad("a directory where the workspace has a file", a.size(), mtime);
        }
        if (!a.isRegularFile()) {
            return new Bad("not a regular file", a.size(), mtime);
        }
        if (a.size() > Limits.MAX_WORKSPACE_FILE_BYTES) {
            return new Bad("oversized: " + a.size() + " bytes; a workspace file may have at most "
                    + Limits.MAX_WORKSPACE_FILE_BYTES, a.size(), mtime);
        }
        if (k != null && k.size() == a.size() && k.mtimeNanos() == mtime) {
            return new Unchanged(a.size(), mtime);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(Limits.MAX_WORKSPACE_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            return new Absent();
        }
        if (bytes.length > Limits.MAX_WORKSPACE_FILE_BYTES) {
            return new Bad("oversized: more than " + Limits.MAX_WORKSPACE_FILE_BYTES + " bytes", a.size(), mtime);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new Bad("binary: not UTF-8 text (only text files are mirrored)", a.size(), mtime);
        }
        if (text.indexOf('\0') >= 0) {
            return new Bad("binary: contains NUL bytes (only text files are mirrored)", a.size(), mtime);
        }
        // The size read may differ from the attributes' if the file changed meanwhile; the next look catches it.
        return new Content(text, a.size(), mtime);
    }

    private String symlinkReason(Path link) {
        try {
            Path target = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            if (!target.startsWith(root)) {
                return "a symbolic link pointing out of the workspace (to " + target + "); links are never followed";
            }
        } catch (IOException e) {
            // unreadable link: still a link
        }
        return "a symbolic link; links are never followed (only regular files are mirrored)";
    }

    /** A directory on the way to {@code path} that is a link or not a directory would take a write elsewhere. */
    private Optional<String> parentProblem(String path) {
        Path dir = root;
        String[] segments = path.split("/");
        for (int i = 0; i < segments.length - 1; i++) {
            dir = dir.resolve(segments[i]);
            try {
                BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    return Optional.of("its directory " + root.relativize(dir) + " is a symbolic link; links are never"
                            + " followed");
                }
                if (!a.isDirectory()) {
                    return Optional.of(root.relativize(dir) + " is a file where the workspace has a directory");
                }
            } catch (NoSuchFileException e) {
                return Optional.empty(); // created below
            } catch (IOException e) {
                return Optional.of("cannot read " + dir + ": " + e);
            }
        }
        return Optional.empty();
    }

    private static boolean sameAsRead(Path file, Disk read) throws IOException {
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return read instanceof Absent;
        }
        long mtime = now.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        return switch (read) {
            case Content c -> c.size() == now.size() && c.mtimeNanos() == mtime;
            case Unchanged u -> u.size() == now.size() && u.mtimeNanos() == mtime;
            default -> false;
        };
    }

    /**
     * Writes {@code text} to a temporary file beside {@code file}, fsyncs it and renames it over {@code file}, but
     * only if {@code file} is still as it was read; empty (and nothing changed) otherwise.
     */
    private Optional<BasicFileAttributes> writeAtomically(Path file, String text, Disk read) throws IOException {
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + IgnoreRules.TEMP_MARKER
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                // String.getBytes encodes a compact (Latin-1) string in bulk; an encoder goes through a CharBuffer.
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(false);
            }
            if (!sameAsRead(file, read)) {
                return Optional.empty();
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void reloadIgnore() {
        Path file = root.resolve(IgnoreRules.FILE_NAME);
        long stamp;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            stamp = a.isRegularFile() ? a.lastModifiedTime().to(TimeUnit.NANOSECONDS) ^ a.size() : 0;
        } catch (IOException e) {
            stamp = 0;
        }
        if (stamp == ignoreFileStamp) {
            return;
        }
        ignoreFileStamp = stamp;
        String text = "";
        if (stamp != 0) {
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                text = new String(in.readNBytes(MAX_IGNORE_FILE_BYTES), StandardCharsets.UTF_8);
            } catch (IOException e) {
                log.warn("node {} workspace cannot read {}: {}", name, file, e.toString());
            }
        }
        ignore = IgnoreRules.parse(text);
        ignoreView = ignore;
    }

    private void beginRound() {
        loggedThisRound = 0;
        unloggedThisRound = 0;
    }

    private void endRound() {
        if (unloggedThisRound > 0) {
            log.warn("node {} workspace refused {} more files not logged one by one (see /v1/status)", name,
                    unloggedThisRound);
        }
        long bytes = 0;
        for (Known k : known.values()) {
            bytes += Math.max(0, k.size()); // -1: a saved base not compared with the disk yet
        }
        fileCount = known.size();
        byteCount = bytes;
        lastSyncMillis = clock.nowMillis();
        publishRefusals();
    }

    private void refuse(String path, String reason, long size, long mtimeNanos) {
        Refused before = refused.get(path);
        if (before != null && before.reason().equals(reason) && before.size() == size
                && before.mtimeNanos() == mtimeNanos) {
            return;
        }
        if (before != null || refused.size() < config.maxRememberedRefusals()) {
            refused.put(path, new Refused(reason, size, mtimeNanos));
        }
        refusedCount.incrementAndGet();
        synchronized (lastRefusals) {
            if (lastRefusals.size() >= MAX_LAST_REFUSALS) {
                lastRefusals.removeFirst();
            }
            lastRefusals.addLast(new Refusal(path, reason, clock.nowMillis()));
        }
        if (loggedThisRound < config.maxLoggedRefusalsPerScan()) {
            loggedThisRound++;
            log.warn("node {} workspace refused {}: {}", name, path, reason);
        } else {
            unloggedThisRound++;
        }
    }

    private void publishRefusals() {
        List<Refusal> out = new ArrayList<>();
        for (Map.Entry<String, Refused> e : refused.entrySet()) {
            if (out.size() >= 100) {
                break;
            }
            out.add(new Refusal(e.getKey(), e.getValue().reason(), 0));
        }
        out.sort(java.util.Comparator.comparing(Refusal::path));
        currentRefusals = List.copyOf(out);
    }

    private static long stampSize(Disk d) {
        return d instanceof Content c ? c.size() : d instanceof Unchanged u ? u.size() : -1;
    }

    private static long stampTime(Disk d) {
        return d instanceof Content c ? c.mtimeNanos() : d instanceof Unchanged u ? u.mtimeNanos() : -1;
    }

    private String relative(Path p) {
        String rel = root.relativize(p).toString();
        return p.getFileSystem().getSeparator().equals("/") ? rel : rel.replace(p.getFileSystem().getSeparator(), "/");
    }

    private <T> T awaitNode(CompletableFuture<T> f) {
        try {
            return f.get(NODE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the node failed a workspace read: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the node did not answer within " + NODE_TIMEOUT_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ watching

    /** Registers {@code dir} with the watch service (worker thread, during scans). */
    private void watch(Path dir) {
        synchronized (watched) {
            if (watchedDirs.contains(dir)) {
                return;
            }
            try {
                WatchKey key = dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                watched.put(key, dir);
                watchedDirs.add(dir);
            } catch (ClosedWatchServiceException e) {
                // closing
            } catch (IOException e) {
                if (!watchLimitLogged) {
                    watchLimitLogged = true;
                    log.warn("node {} workspace cannot watch {} ({}); its changes are found by the periodic scan"
                            + " only", name, dir, e.toString());
                }
            }
        }
    }

    private void watchLoop() {
        while (!closed) {
            WatchKey key;
            try {
                key = watchService.take();
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            }
            Path dir;
            synchronized (watched) {
                dir = watched.get(key);
            }
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() == StandardWatchEventKinds.OVERFLOW || dir == null) {
                    requestRescan();
                    continue;
                }
                Path child = dir.resolve((Path) event.context());
                String rel = relative(child);
                submit(rel);
            }
            if (!key.reset()) {
                synchronized (watched) {
                    Path gone = watched.remove(key);
                    if (gone != null) {
                        watchedDirs.remove(gone);
                    }
                }
            }
        }
    }

    private void submit(String rel) {
        synchronized (eventLock) {
            if (pendingEvents.size() >= config.maxPendingEvents()) {
                rescanRequested = true;
            } else {
                pendingEvents.add(rel);
            }
            scheduleDrain();
        }
    }

    private void requestRescan() {
        synchronized (eventLock) {
            rescanRequested = true;
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (!drainScheduled && !closed) {
            drainScheduled = true;
            try {
                worker.execute(guard("watch events", this::drainEvents));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }
}
