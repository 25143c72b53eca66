package io.agentmesh.node.runtime;

import io.agentmesh.node.agent.process.AgentProcesses;
import io.agentmesh.node.api.HttpApi;
import io.agentmesh.node.api.NodeOperations;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.core.CoreConfig;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.net.FaultInjector;
import io.agentmesh.node.net.NettyNetwork;
import io.agentmesh.node.net.RelayClient;
import io.agentmesh.node.net.RelayClientConfig;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.node.net.NetworkConfig;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.core.Recovery;
import io.agentmesh.node.core.SnapshotPolicy;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.consensus.Voters;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.node.core.RevocationDraft;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Schedule;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.node.actions.JobExecutor;
import io.agentmesh.node.actions.exec.CommandRunner;
import io.agentmesh.node.actions.exec.ExecExecutor;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.gateway.LlmIntentExecutor;
import io.agentmesh.node.consensus.RaftCodec;
import io.agentmesh.node.consensus.SqliteRaftStore;
import io.agentmesh.state.Task;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.replication.ReplicationStats;
/**
 * A running node process: opens the identity and the store, recovers the document, starts the node thread, the
 * mesh transport and the HTTP API, and shuts them down in the reverse order. It is the only place that wires
 * production implementations (system clock, SQLite, Netty) into the node core.
 */
public final class NodeRuntime implements NodeOperations, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);
    /** How long a new leader lets the workspace mirror write the document's files to disk before the agent starts. */
    private static final long AGENT_WORKSPACE_FLUSH_TIMEOUT_MS = 10_000;
    static final String STORE_FILE = "changes.db";
    /** The workspace mirror's bases (what was last both on disk and in the document, per path). */
    static final String WORKSPACE_BASE_DIR = "workspace-base";

    /** The one clock of this process's node: core, transport, relay client and executors read the same time. */
    /** Agent LLM calls served at once by the endpoints (the gateway has its own limit of calls in flight). */
    private static final int LLM_ENDPOINT_CALLS = 64;
    /** The longest an endpoint waits for a call's end: the gateway's deadlines end calls sooner. */
    private static final long LLM_ENDPOINT_MAX_CALL_MS = 15 * 60_000;
    private final Clock clock = new SystemClock();
    /** Per-peer and per-HTTP-client input limits and their counters (docs/security.md, "Limits"). */
    private final io.agentmesh.node.limits.Limits limits;
    private final NodeSettings settings;
    private final LocalIdentity identity;
    private final ChangeStore store;
    private final NodeThread nodeThread;
    private final ExecutorService signer;
    private final ExecutorService snapshotCheck;
    /** Writes the memory view file after each snapshot (off the node thread). */
    private final ExecutorService viewDisk;
    /** Runs the job executor's appends and fsyncs, which must stay off the node thread. */
    private final ExecutorService jobDisk;
    private final NodeCore core;
    private final NettyNetwork network;
    private final InetSocketAddress boundMesh;
    private final RelayClient relays;
    private final SqliteRaftStore raftStore;
    private final HttpApi http;
    /** Every meter of this node on its one registry, rendered by GET /metrics. */
    private final io.agentmesh.node.metrics.NodeMeters meters;
    /** The agent's process supervision, when this node hosts an agent command; else null. */
    private final AgentProcesses.Hosted agent;
    private final io.agentmesh.node.workspace.WorkspaceHttp workspaceHttp;
    private final io.agentmesh.node.workspace.WorkspaceMirror mirror;
    /** The LLM gateway: serves calls while this node leads (refuses them otherwise, or without llm.json). */
    private final LlmGateway llm;
    /** The wallet (docs/wallet.md): driver, endpoints, intent executor; null without wallet.json or on a witness. */
    private final io.agentmesh.node.wallet.api.WalletRuntime wallet;
    /** The agent's LLM endpoints (/llm/...); null on a witness, which serves none. */
    private final io.agentmesh.node.llm.api.LlmHttp llmHttp;
    /** Where the endpoints' calls wait for the gateway: one virtual thread per call, bounded by LlmHttp. */
    private final ExecutorService llmExchanges;
    private final io.agentmesh.node.backup.run.BackupRunner backups;
    /** The restore drill over the same targets (docs/backup.md, "The drill"); null where backups is. */
    private final io.agentmesh.node.backup.run.Drill drill;
    private final String name;
    private final long startedNanos = clock.monotonicNanos();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<String> terminated = new CompletableFuture<>();
    private volatile boolean ready;
    /**
     * The memory log's published read view: HTTP reads and searches use it, never the node thread. While the state
     * loads, the view saved with the last snapshot (or null when there is none).
     */
    private volatile java.util.function.Supplier<io.agentmesh.state.MemoryView> memoryViews;
    /** Completes once the state is loaded and the node serves every endpoint. */
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();

    private NodeRuntime(NodeSettings settings, io.agentmesh.node.api.ApiAccess.Policy apiAccess) throws IOException {
        this(settings, apiAccess, io.agentmesh.node.limits.Limits.defaults());
    }

    private NodeRuntime(NodeSettings settings, io.agentmesh.node.api.ApiAccess.Policy apiAccess,
                        io.agentmesh.node.limits.Limits limits) throws IOException {
        this.limits = limits;
        io.agentmesh.node.api.ApiAccess.check(settings.http(), apiAccess); // before anything is opened
        this.settings = settings;
        long t0 = clock.monotonicNanos();
        IdentityDirectory ids = IdentityDirectory.of(settings.identityDir());
        SigningKey nodeKey = ids.readNodeKey(settings.passphrase());
        NodeCertificate certificate = ids.readCertificate();
        VerifyingKey agentRoot = ids.agentPublicKey();
        certificate.verify(agentRoot, clock.nowMillis());
        this.name = certificate.nodeId().shortForm();
        if (certificate.role() != Role.VOTER && settings.agent().hostsAgent()) {
            throw new IllegalArgumentException("this node is enrolled as a " + certificate.role().name()
                    .toLowerCase(Locale.ROOT) + ": only a voter can lead and run the agent; run `node run -- "
                    + String.join(" ", settings.agent().command()) + "` on the servers");
        }
        if (certificate.role() == Role.WITNESS && settings.peers().isEmpty() && settings.relays().isEmpty()) {
            throw new IllegalArgumentException("this node is enrolled as a witness: it votes with servers and never"
                    + " runs alone; give it the servers with --peer <node-id>@host:port (or --relay host:port)");
        }

        Files.createDirectories(settings.stateDir());
        this.store = SqliteChangeStore.open(settings.stateDir().resolve(STORE_FILE));
        io.agentmesh.node.workspace.WorkspaceMirror startedMirror = null;
        LlmGateway startedLlm = null;
        io.agentmesh.node.wallet.api.WalletRuntime startedWallet = null;
        io.agentmesh.node.backup.run.BackupRunner startedBackups = null;
        HttpApi startedHttp = null;
        try {
            long incarnation = incarnation(ids, store);
            this.identity = new LocalIdentity(agentRoot, nodeKey, certificate, incarnation);
            // Serve memory reads from the view saved with the last snapshot while the document loads (the rest of
            // the API waits for the load; docs/benchmarks.md "Reads").
            Optional<io.agentmesh.state.MemoryViewFile.Saved> savedView = savedMemoryView(settings.stateDir(),
                    identity.agentId().bytes(), certificate.nodeId().shortForm());
            if (savedView.isPresent()) {
                io.agentmesh.state.MemoryView loadingView = io.agentmesh.state.MemoryView.of(savedView.get().slots());
                this.memoryViews = () -> loadingView;
            }
            startedHttp = new HttpApi(settings.http(), this, name, apiAccess,
                    Optional.of(new io.agentmesh.node.api.ClientRateLimiter(limits, clock, name)));
            this.http = startedHttp;
            http.start();
            log.info("node {} serves HTTP on {} while it loads its state ({} ms after start)", name, httpAddress(),
                    (clock.monotonicNanos() - t0) / 1_000_000);
            Recovery.Result recovered = Recovery.recover(identity.agentId().bytes(), identity.actor(), store,
                    savedView);
            log.info("node {} recovered {} changes ({}) in {} ms; incarnation {}", name,
                    store.changeCount(), recovered.fromSnapshot() ? "snapshot + " + recovered.replayedChanges()
                            + " replayed" : recovered.replayedChanges() + " replayed",
                    (clock.monotonicNanos() - t0) / 1_000_000, incarnation);

            long viewStart = clock.monotonicNanos();
            recovered.state().enableMemoryView();
            this.memoryViews = recovered.state().memoryViews();
            log.info("node {} built its memory read view ({} entries) in {} ms", name,
                    memoryViews.get().size(), (clock.monotonicNanos() - viewStart) / 1_000_000);
            this.nodeThread = new NodeThread(name, clock);
            this.viewDisk = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "view-disk-" + name);
                t.setDaemon(true);
                return t;
            });
            this.signer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "signer-" + name);
                t.setDaemon(true);
                return t;
            });
            this.snapshotCheck = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "snapshot-" + name);
                t.setDaemon(true);
                return t;
            });
            this.jobDisk = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "job-disk-" + name);
                t.setDaemon(true);
                return t;
            });
            this.core = new NodeCore(identity, recovered.state(), store, clock, nodeThread, signer, snapshotCheck,
                    new SecureRandom(), CoreConfig.defaults(Optional.of(settings.advertise().orElse(settings.listen())))
                            .withSnapshots(SnapshotPolicy.every(settings.snapshotEveryChanges()))
                            .withWrites(io.agentmesh.node.replication.WriteBatching.writesPerChange(
                                    settings.maxWritesPerChange())),
                    this::fatal);
            core.replayedAtStart(recovered.replayedChanges());
            // The memory view beside each snapshot: the next start adopts it instead of reading every entry.
            byte[] viewAgent = identity.agentId().bytes();
            core.onSnapshotView((heads, view) -> viewDisk.execute(() -> {
                try {
                    io.agentmesh.state.MemoryViewFile.write(settings.stateDir().resolve(
                            io.agentmesh.state.MemoryViewFile.NAME), viewAgent, heads, view);
                } catch (IOException | RuntimeException e) {
                    log.warn("node {} could not save its memory view beside the snapshot: {}", name, e.toString());
                }
            }));
            NetworkConfig netConfig = NetworkConfig.defaults(settings.listen().getHostString(), settings.listen().getPort())
                    .withFaultInjection(settings.faultInjection());
            this.network = new NettyNetwork(netConfig, identity, nodeThread, core, clock,
                    core.revocations()::revokes, limits);
            this.llm = io.agentmesh.node.llm.send.LlmGateways.create(identity.nodeId().toString(), settings.llm(),
                    ProviderKeys.load(settings.llm(), System.getenv()),
                    new io.agentmesh.node.consensus.ConsensusLedgerAccess(core::consensus), nodeThread, clock,
                    LlmGateway.DEFAULT_MAX_CALLS_IN_FLIGHT);
            startedLlm = llm;
            this.wallet = settings.wallet().isPresent() && certificate.role() != Role.WITNESS
                    ? io.agentmesh.node.wallet.api.WalletRuntime.start(settings.wallet().get(), settings.passphrase(),
                            nodeThread, new io.agentmesh.node.wallet.spend.ConsensusWalletAccess(core::consensus), clock,
                            identity.nodeId().toString(), this::staleFence)
                    : null;
            startedWallet = wallet;
            boolean quiet = RestoredHome.isRestored(settings.stateDir()) && settings.peers().isEmpty()
                    && settings.relays().isEmpty();
            if (quiet) {
                log.info("node {} serves state restored from a backup and takes no part in consensus (performs no"
                        + " intent, starts no agent) until it joins with --peer or runs with --take-over", name);
            }
            BackupParts parts = certificate.role() != Role.WITNESS
                    ? backupRunner(settings, ids, nodeKey, certificate, store, core, clock, name) : null;
            this.backups = parts == null ? null : parts.runner();
            this.drill = parts == null ? null : parts.drill();
            startedBackups = backups;
            this.raftStore = quiet ? null : enableConsensus(settings, identity, core, clock, jobDisk, llm, parts,
                    wallet);
            nodeThread.execute(() -> {
                core.start(network);
                for (NodeSettings.PeerSpec peer : settings.peers()) {
                    core.addPeer(peer.node(), peer.address());
                }
                // A new leader settles the calls its predecessors left open (and the periodic check catches a
                // term whose barrier could not commit at once).
                core.onLeaderChange(change -> llm.leadershipChanged());
                llm.start();
            });
            this.boundMesh = network.start();
            if (settings.relays().isEmpty()) {
                this.relays = null;
            } else {
                // Unpinned relays: trusted on first use, their keys kept in the state directory.
                RelayClientConfig relayConfig = RelayClientConfig.defaults(settings.relays())
                        .withPins(settings.relayPins())
                        .withKnownRelaysFile(settings.stateDir().resolve(RelayClient.KNOWN_RELAYS_FILE));
                this.relays = new RelayClient(relayConfig, identity, network,
                        List.of(settings.advertise().orElse(boundMesh)),
                        // Discovery callbacks come from Netty threads; the core is only touched on its thread.
                        (peer, address) -> nodeThread.execute(() -> core.addPeer(peer, address)),
                        clock, new SecureRandom());
                relays.start();
            }
            // Workspace: the HTTP endpoints on every node that holds state; the mirror where --workspace is given.
            boolean holdsState = certificate.role() != Role.WITNESS;
            var workspaceNode = new io.agentmesh.node.workspace.CoreWorkspaceNode(core, nodeThread, name);
            this.mirror = holdsState && settings.agent().workspace().isPresent()
                    ? io.agentmesh.node.workspace.WorkspaceMirror.start(settings.agent().workspace().get(),
                            settings.stateDir().resolve(WORKSPACE_BASE_DIR), workspaceNode, clock, io.agentmesh.node.workspace.WorkspaceMirror.Config.defaults())
                    : null;
            startedMirror = mirror;
            this.workspaceHttp = holdsState ? new io.agentmesh.node.workspace.WorkspaceHttp(workspaceNode,
                    workspaceNode,
                    mirror != null ? mirror::ignoreRules : io.agentmesh.node.workspace.IgnoreRules::defaults,
                    mirror != null ? mirror::refusals : List::of) : null;
            this.llmExchanges = holdsState ? Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("llm-http-" + name + "-", 0).factory()) : null;
            this.llmHttp = holdsState ? new io.agentmesh.node.llm.api.LlmHttp(llm,
                    io.agentmesh.node.llm.gateway.LlmModels.of(settings.llm()), clock,
                    () -> java.util.UUID.randomUUID().toString(), llmExchanges, LLM_ENDPOINT_CALLS,
                    LLM_ENDPOINT_MAX_CALL_MS, name) : null;
            if (backups != null) {
                backups.publishGrants();
                drill.observeTargets();
                // backup.json's periods become the default schedules, written by whichever node leads (docs/backup.md).
                nodeThread.execute(() -> {
                    core.onLeaderChange(change -> writeDefaultBackupSchedules());
                    writeDefaultBackupSchedules();
                });
            }
            // The node's one meter registry: every binder gets it from here (no global registry).
            var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                    io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT,
                    new io.prometheus.metrics.model.registry.PrometheusRegistry(),
                    new io.agentmesh.node.metrics.MeterClock(clock));
            this.meters = new io.agentmesh.node.metrics.NodeMeters(registry, nodeThread, name, core, network::stats,
                    this::httpRefusals, this::agentRunner, backups == null ? Optional.empty()
                            : Optional.of(new io.agentmesh.node.metrics.NodeMeters.BackupSources(backups.targetIds(),
                                    this::backupFreshnessForScrape)), clock);
            if (wallet != null) {
                new io.agentmesh.node.metrics.WalletMeters(meters.registry(), wallet.driver());
            }
            new io.agentmesh.node.metrics.LimitMeters(meters.registry(), limits);
            new io.agentmesh.node.metrics.NodeThreadMeters(meters.registry(), nodeThread.taskDurations()::snapshot);
            this.agent = settings.agent().hostsAgent()
                    ? AgentProcesses.host(settings.agent(), settings.stateDir(), core, nodeThread, clock,
                            agentApiUrl(settings, http.port()), ConsensusConfig.defaults(),
                            () -> writeWorkspaceToDisk(mirror),
                            http.tokenRequired() ? Map.of(io.agentmesh.node.api.ApiToken.ENV,
                                    apiAccess.token().orElseThrow().reveal()) : Map.of())
                    : null;
        } catch (IOException | RuntimeException e) {
            if (startedHttp != null) {
                startedHttp.close();
            }
            if (startedBackups != null) {
                startedBackups.close();
            }
            if (startedMirror != null) {
                startedMirror.close();
            }
            if (startedLlm != null) {
                startedLlm.close();
            }
            if (startedWallet != null) {
                startedWallet.close();
            }
            store.close();
            throw e;
        }
        ready = true;
        loaded.complete(null);
        log.info("node {} serving: mesh on {}, HTTP on {} ({} ms after start)", name, boundMesh,
                httpAddress(), (clock.monotonicNanos() - t0) / 1_000_000);
    }

    /** The memory view saved beside the last snapshot, empty when there is none or it does not read back. */
    private static Optional<io.agentmesh.state.MemoryViewFile.Saved> savedMemoryView(java.nio.file.Path stateDir,
                                                                                    byte[] agentId, String name) {
        try {
            return io.agentmesh.state.MemoryViewFile.read(stateDir.resolve(io.agentmesh.state.MemoryViewFile.NAME),
                    agentId);
        } catch (IOException e) {
            log.warn("node {} ignores its saved memory view ({}); it reads the log instead", name, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Before the agent starts: every workspace file the document holds is on disk, so a new leader's agent resumes
     * from the lines the old one wrote, not from this disk's older copy.
     */
    private static void writeWorkspaceToDisk(io.agentmesh.node.workspace.WorkspaceMirror mirror) {
        if (mirror == null) {
            return;
        }
        try {
            mirror.flush(AGENT_WORKSPACE_FLUSH_TIMEOUT_MS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the workspace mirror did not bring the agent's files up to date within "
                    + AGENT_WORKSPACE_FLUSH_TIMEOUT_MS + " ms (" + e + "); not starting the agent on stale files", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the workspace mirror wrote the agent's files", e);
        }
    }

    /**
     * Makes this node take part in consensus when its certificate enrolls it as a voter or a witness (a witness gets
     * no executors and runs in witness mode, see {@link NodeCore}; it needs peers, since it never founds a group of
     * its own). With a --peer list it may
     * found the group with those peers ({@link Voters#select} of itself and them: the founding list must be the same
     * on each founder, which holds when each is given the others, as `agentmesh up` and the README do); alone (no
     * peers, no relays) it founds a group of one; with relays only it joins the group its peers are in. The leader
     * adds every enrolled voter it can reach ({@code docs/consensus.md}).
     */
    private static SqliteRaftStore enableConsensus(NodeSettings settings, LocalIdentity identity, NodeCore core,
                                                   Clock clock, java.util.concurrent.Executor jobDisk,
                                                   LlmGateway llm, BackupParts backups,
                                                   io.agentmesh.node.wallet.api.WalletRuntime wallet)
            throws IOException {
        Role role = identity.certificate().role();
        if (role != Role.VOTER && role != Role.WITNESS) {
            return null;
        }
        boolean witness = role == Role.WITNESS;
        List<NodeId> founders = List.of();
        if (!settings.peers().isEmpty() || settings.relays().isEmpty()) {
            List<NodeId> members = new ArrayList<>();
            members.add(identity.nodeId());
            settings.peers().forEach(p -> members.add(p.node()));
            founders = Voters.select(members);
            if (!founders.contains(identity.nodeId())) {
                founders = List.of(); // not among the first voters: it joins once they have founded
            }
        }
        SqliteRaftStore store = SqliteRaftStore.open(settings.stateDir().resolve("raft.db"), new RaftCodec());
        List<ActionExecutor> executors = witness ? List.of() : new ArrayList<>(List.of(new JobExecutor(
                settings.stateDir().resolve("performed.jsonl"), identity.nodeId().toString(), clock, jobDisk),
                new ExecExecutor(settings.exec(), identity.nodeId().toString(), new CommandRunner(clock),
                        System.getenv("PATH")),
                new LlmIntentExecutor(llm, identity.nodeId().toString())));
        if (!witness && backups != null) {
            executors.add(io.agentmesh.node.backup.run.BackupActions.backup(backups.runner(), identity.nodeId().toString()));
            executors.add(io.agentmesh.node.backup.run.BackupActions.drill(backups.drill(), identity.nodeId().toString()));
        }
        if (!witness && wallet != null) {
            executors.add(wallet.executor());
        }
        core.enableConsensus(new NodeCore.ConsensusSetup(store, founders, executors, new SecureRandom().nextLong(),
                ConsensusConfig.defaults()));
        return store;
    }

    /**
     * The backup runner over this node's store and targets. The node's operational backup key is created here when
     * missing (nodes enrolled before backups existed), encrypted under the node passphrase like node.key.
     */
    private record BackupParts(io.agentmesh.node.backup.run.BackupRunner runner, io.agentmesh.node.backup.run.Drill drill) {
    }

    private static BackupParts backupRunner(NodeSettings settings, IdentityDirectory ids,
            SigningKey nodeKey, NodeCertificate certificate, ChangeStore store, NodeCore core, Clock clock, String name)
            throws IOException {
        SigningKey backupKey;
        if (ids.hasBackupKey()) {
            backupKey = ids.readBackupKey(settings.passphrase());
        } else {
            backupKey = ids.createBackupKey(new SecureRandom(), settings.passphrase());
            log.info("node {} created its operational backup key {}", name, ids.path().resolve(IdentityDirectory.BACKUP_KEY_FILE));
        }
        java.util.Map<String, io.agentmesh.node.backup.target.BackupTarget> targets = new java.util.LinkedHashMap<>();
        try {
            for (var t : settings.backup().targets()) {
                targets.put(t.id(), io.agentmesh.node.backup.target.Targets.open(t, System.getenv(), clock));
            }
        } catch (RuntimeException e) {
            targets.values().forEach(io.agentmesh.node.backup.target.BackupTarget::close);
            throw e;
        }
        var keys = new io.agentmesh.node.backup.run.BackupRunner.Keys(nodeKey, certificate, backupKey, ids.path(),
                phraseIdentity(ids, settings.passphrase(), name));
        var remembered = new io.agentmesh.node.backup.run.RememberedManifests(settings.stateDir());
        // The drill uses the operational key alone (the daily drill needs no phrase), over the runner's targets.
        return new BackupParts(new io.agentmesh.node.backup.run.BackupRunner(name, keys, store,
                () -> knownCertificates(certificate, store), () -> core.revocations().records(), targets, remembered,
                clock), new io.agentmesh.node.backup.run.Drill(name, keys, store,
                () -> knownCertificates(certificate, store), () -> core.revocations().records(), targets, remembered,
                settings.stateDir(), clock));
    }

    /** The phrase's backup identity where agent-root.key is kept (and opens with the node passphrase). */
    private static Optional<io.agentmesh.node.backup.format.AgeIdentity> phraseIdentity(IdentityDirectory ids,
            Optional<char[]> passphrase, String name) {
        if (!ids.hasAgentRootKey()) {
            return Optional.empty();
        }
        try {
            return Optional.of(io.agentmesh.node.backup.format.BackupKeys.phraseIdentity(ids.readAgentRoot(passphrase)));
        } catch (IOException | RuntimeException e) {
            log.info("node {} does not use agent-root.key for backups ({}); its own backup key only", name, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * This node's certificate and the members' ones the core keeps in the store (core.StoredCertificates: encodings
     * back to back), readable from any thread; a damaged entry is left out, as the core does.
     */
    private static List<NodeCertificate> knownCertificates(NodeCertificate own, ChangeStore store) {
        List<NodeCertificate> out = new ArrayList<>(List.of(own));
        byte[] stored = store.getMeta("certificates").orElse(new byte[0]);
        for (int at = 0; at + NodeCertificate.ENCODED_LENGTH <= stored.length; at += NodeCertificate.ENCODED_LENGTH) {
            try {
                NodeCertificate c = NodeCertificate.fromBytes(
                        java.util.Arrays.copyOfRange(stored, at, at + NodeCertificate.ENCODED_LENGTH));
                if (!out.contains(c)) {
                    out.add(c);
                }
            } catch (RuntimeException e) {
                // the core drops it too (it logs why)
            }
        }
        return out;
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> backupNow(Optional<String> target) {
        if (backups == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return onNode(c -> {
            var st = c.consensus().map(cn -> cn.status());
            boolean leader = c.consensus().map(cn -> cn.isLeader()).orElse(false);
            if (!leader) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("notLeader", true);
                m.put("leader", st.flatMap(x -> x.leader()).map(NodeId::toString).orElse("unknown right now"));
                return CompletableFuture.completedFuture(Optional.of(m));
            }
            // The run itself goes to the backup thread; this future completes there.
            return backups.run(target).thenApply(reports -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("targets", reports.stream().map(r -> r.toMap()).toList());
                return Optional.of(m);
            });
        });
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> drillNow(Optional<String> target) {
        if (drill == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return onNode(c -> {
            boolean leader = c.consensus().map(cn -> cn.isLeader()).orElse(false);
            if (!leader) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("notLeader", true);
                m.put("leader", c.consensus().map(cn -> cn.status()).flatMap(x -> x.leader()).map(NodeId::toString)
                        .orElse("unknown right now"));
                return CompletableFuture.completedFuture(Optional.of(m));
            }
            // The drill runs on its own thread; this future completes there.
            return drill.start(target).thenApply(r -> Optional.of(
                    new com.fasterxml.jackson.databind.ObjectMapper().convertValue(r, Map.class)));
        });
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> drillStatus() {
        if (drill == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return onNode(c -> CompletableFuture.completedFuture(Optional.of(drill.status(backupPeriods(c,
                io.agentmesh.node.backup.run.BackupSchedules.DRILL_KIND)))));
    }

    /**
     * Per backup target, how fresh its backups and drills are (docs/backup.md, "Freshness"); empty on a node without
     * backups. The metrics read this.
     */
    public CompletableFuture<List<io.agentmesh.node.backup.run.BackupFreshness>> backupFreshness() {
        if (backups == null) {
            return CompletableFuture.completedFuture(List.of());
        }
        return onNode(c -> CompletableFuture.completedFuture(freshness(c)));
    }

    /**
     * The freshness for a metrics scrape (its own thread): waits up to 2 s for the node thread, else serves nothing
     * new (the meters keep what they last read).
     */
    private List<io.agentmesh.node.backup.run.BackupFreshness> backupFreshnessForScrape() {
        try {
            return backupFreshness().get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return List.of();
        }
    }

    /** Node thread: the schedules' periods are in the state. */
    private List<io.agentmesh.node.backup.run.BackupFreshness> freshness(NodeCore c) {
        Map<String, Long> backupEvery = backupPeriods(c, io.agentmesh.node.backup.run.BackupSchedules.BACKUP_KIND);
        Map<String, Long> drillEvery = backupPeriods(c, io.agentmesh.node.backup.run.BackupSchedules.DRILL_KIND);
        long now = clock.nowMillis();
        return backups.targetIds().stream().map(id -> {
            var d = drill.last(id);
            return io.agentmesh.node.backup.run.BackupFreshness.of(id, backups.lastSuccessAtMs(id),
                    backups.lastRunOk(id), Optional.ofNullable(backupEvery.get(id)),
                    d.map(j -> j.path("atMs").asLong()), d.map(j -> j.path("ok").asBoolean()),
                    Optional.ofNullable(drillEvery.get(id)), now);
        }).toList();
    }

    /** Per target, the period of the schedules of {@code kind} in the state (node thread). */
    private Map<String, Long> backupPeriods(NodeCore c, String kind) {
        return io.agentmesh.node.backup.run.BackupSchedules.periods(c.state().schedules(), kind, backups.targetIds(),
                clock.nowMillis(), new ScheduleExpander(60_000, 100));
    }

    /**
     * On the leader (node thread): writes the schedules backup.json's periods ask for that the state lacks. A schedule
     * of the kind already in the state wins (docs/backup.md, "Schedules").
     */
    private void writeDefaultBackupSchedules() {
        if (!core.consensus().map(cn -> cn.isLeader()).orElse(false)) {
            return;
        }
        for (Schedule s : io.agentmesh.node.backup.run.BackupSchedules.missingDefaults(settings.backup(),
                core.state().schedules(), clock.nowMillis())) {
            log.info("node {} leads and writes the default {} schedule {} (\"{}\" UTC) from its backup.json", name,
                    s.intentKind(), s.id(), s.cron());
            core.write(st -> st.addSchedule(s)).whenComplete((v, e) -> {
                if (e != null) {
                    log.warn("node {} could not write the default schedule {}: {}", name, s.id(), e.toString());
                }
            });
        }
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> backupStatus() {
        return CompletableFuture.completedFuture(Optional.ofNullable(backups).map(b -> {
            Map<String, Object> m = new LinkedHashMap<>(b.status());
            m.put("drillProgress", drill.progress().map(p -> p.toMap()).orElse(null));
            return m;
        }));
    }

    /** The loopback URL of this node's HTTP API, as the agent's process gets it (AGENTMESH_API). */
    private static String agentApiUrl(NodeSettings settings, int port) {
        java.net.InetAddress bound = settings.http().getAddress();
        String host = bound == null || bound.isAnyLocalAddress() || bound.isLoopbackAddress() ? "127.0.0.1"
                : settings.http().getHostString();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    public static NodeRuntime start(NodeSettings settings) throws IOException {
        return new NodeRuntime(settings, io.agentmesh.node.api.ApiAccess.Policy.none());
    }

    /** Starts a node whose HTTP API is protected by {@code apiAccess} (a token beyond loopback, docs/operations.md). */
    public static NodeRuntime start(NodeSettings settings, io.agentmesh.node.api.ApiAccess.Policy apiAccess)
            throws IOException {
        return new NodeRuntime(settings, apiAccess);
    }

    /** Starts a node with its input limits ({@code limits}: per peer and per HTTP client; docs/security.md). */
    public static NodeRuntime start(NodeSettings settings, io.agentmesh.node.api.ApiAccess.Policy apiAccess,
                                    io.agentmesh.node.limits.Limits limits) throws IOException {
        return new NodeRuntime(settings, apiAccess, limits);
    }

    /**
     * The incarnation this store runs under. A store remembers its own; a new store (first start, lost or wiped
     * state) takes one more than the identity directory has ever handed out, so the node never writes under an
     * actor whose sequence numbers peers may already hold (DESIGN.md invariant 5).
     */
    static long incarnation(IdentityDirectory ids, ChangeStore store) throws IOException {
        Optional<Long> stored = StoredIncarnation.read(store);
        if (stored.isPresent()) {
            return stored.get();
        }
        long next = ids.nextIncarnation();
        StoredIncarnation.write(store, next);
        return next;
    }

    public String httpAddress() {
        return settings.http().getHostString() + ":" + http.port();
    }

    public int httpPort() {
        return http.port();
    }

    public int meshPort() {
        return boundMesh.getPort();
    }

    public LocalIdentity identity() {
        return identity;
    }

    /** The LLM gateway (docs/llm.md): the agent's endpoints and the {@code llm} intents call through it. */
    public LlmGateway llm() {
        return llm;
    }

    /** Completes with the reason once the node has shut down. */
    public CompletableFuture<String> terminated() {
        return terminated;
    }

    private void fatal(String reason) {
        log.error("node {} stops: {}", name, reason);
        ready = false;
        Thread t = new Thread(() -> shutdown("fatal: " + reason), "shutdown-" + name);
        t.start();
    }

    /** Graceful shutdown: stop serving, stop the core, flush the store, snapshot. Idempotent. */
    public void shutdown(String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        ready = false;
        log.info("node {} shutting down: {}", name, reason);
        if (agent != null) {
            // The agent goes first: it must be gone before another node may start one.
            try {
                nodeThread.call(agent.runner()::shutdown).get(agent.stopGraceMs() + 10_000,
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.warn("node {} could not stop the agent's process cleanly: {}", name, e.toString());
            }
            agent.host().close();
        }
        http.close();
        meters.close();
        if (drill != null) {
            drill.close(); // a drill cut short leaves only its scratch directory, removed by the next one
        }
        if (backups != null) {
            backups.close(); // a run cut short leaves only unreferenced objects; the next run puts them again
        }
        // No new calls, attempts in flight aborted; a call left open is settled in doubt by the next leader.
        llm.close();
        if (wallet != null) {
            wallet.close(); // a spend in flight is finished by the next leader's driver
        }
        if (llmExchanges != null) {
            llmExchanges.shutdownNow();
        }
        if (mirror != null) {
            mirror.close();
        }
        try {
            // Hand leadership over before going quiet, so the others need no election timeout.
            nodeThread.call(core::handOver).get(6, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            log.info("node {} did not hand leadership over: {}", name, e.toString());
        }
        CompletableFuture<Void> stopped = nodeThread.call(() -> {
            boolean healthy = core.healthy();
            core.stop();
            return healthy && core.changesSinceSnapshot() > 0 ? core.snapshot()
                    : CompletableFuture.completedFuture(null);
        });
        try {
            stopped.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("node {} could not write a final snapshot: {}", name, e.toString());
        }
        viewDisk.shutdown(); // after the final snapshot: its view is queued, and written before the store closes
        try {
            if (!viewDisk.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("node {} did not finish saving its memory view", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (relays != null) {
            relays.close();
        }
        network.close();
        signer.shutdown();
        jobDisk.shutdown();
        try {
            signer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            // After the signer: its last task may have handed a snapshot on.
            snapshotCheck.shutdown();
            snapshotCheck.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        nodeThread.shutdown(5_000);
        if (raftStore != null) {
            try {
                raftStore.close();
            } catch (IOException e) {
                log.warn("node {} could not close the Raft store: {}", name, e.toString());
            }
        }
        store.close();
        log.info("node {} stopped", name);
        terminated.complete(reason);
    }

    @Override
    public void close() {
        shutdown("closed");
    }

    // ---------------------------------------------------------------- operations (any thread)

    private <T> CompletableFuture<T> onNode(Function<NodeCore, CompletableFuture<T>> work) {
        return nodeThread.call(() -> work.apply(core));
    }

    private CompletableFuture<Void> write(Function<AgentState, LocalChange> mutation) {
        return write(mutation, Durability.LOCAL);
    }

    private CompletableFuture<Void> write(Function<AgentState, LocalChange> mutation, Durability durability) {
        return measured(durability, () -> onNode(c -> c.write(mutation, durability).thenApply(signed -> (Void) null)));
    }

    /** Counts a write through the API and records how long its caller waits for the acknowledgement. */
    private <T> CompletableFuture<T> measured(Durability durability,
                                              java.util.function.Supplier<CompletableFuture<T>> write) {
        long startNanos = clock.monotonicNanos();
        String d = durability.name();
        return write.get().whenComplete((v, e) -> {
            if (e == null) {
                meters.writes().acknowledged(d, clock.monotonicNanos() - startNanos);
            } else {
                meters.writes().failed(d);
            }
        });
    }

    @Override
    public CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags,
                                                  Durability durability) {
        MemoryEntry entry = new MemoryEntry(UUID.randomUUID().toString(), clock.nowMillis(),
                identity.nodeId().toString(), kind, text, tags);
        return write(s -> s.appendMemory(entry), durability).thenApply(v -> entry);
    }

    /**
     * From the published read view, on the caller's thread: the view is published when a write is applied, before
     * its answer, so a caller reads its own acknowledged writes.
     */
    @Override
    public CompletableFuture<List<?>> memory(int limit) {
        try {
            return CompletableFuture.completedFuture(memoryViews.get().newest(limit));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Void> loaded() {
        return loaded;
    }

    @Override
    public boolean memoryReadableWhileLoading() {
        return memoryViews != null;
    }

    @Override
    public Map<String, Object> loadingStatus() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("loading", true);
        s.put("uptimeMs", (clock.monotonicNanos() - startedNanos) / 1_000_000);
        var views = memoryViews;
        if (views != null) {
            s.put("memoryEntries", views.get().size());
            s.put("memoryView", "saved with the last snapshot; later changes appear once the state is loaded");
        }
        return s;
    }

    @Override
    public CompletableFuture<List<?>> memorySearch(String query, String tag, int limit) {
        try {
            return CompletableFuture.completedFuture(memoryViews.get().search(query, tag, limit));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Transport counters. */
    public io.agentmesh.node.net.NetworkStats networkStats() {
        return network.stats();
    }

    /** How long each task held this node's thread so far (the stall meter); any thread. */
    public io.agentmesh.node.metrics.TaskDurations.Snapshot nodeThreadTasks() {
        return nodeThread.taskDurations().snapshot();
    }

    /**
     * Replication counters (changes sent and applied, duplicates, rejections). The counters are readable from any
     * thread; fetching them waits for the node thread once, because the core makes its replicator when it starts
     * there.
     */
    public ReplicationStats replicationStats() {
        return nodeThread.call(() -> CompletableFuture.completedFuture(core.replicator().stats())).join();
    }

    /** This node's durable version vector total: how many changes it holds. */
    public long changeCount() {
        return store.changeCount();
    }

    /** Whether this node leads the consensus group right now. */
    public boolean isLeader() {
        return nodeThread.call(() -> CompletableFuture.completedFuture(
                core.consensus().map(c -> c.isLeader()).orElse(false))).join();
    }

    /** Peers with an open authenticated connection. */
    public int connectedPeers() {
        return network.connectedPeers().size();
    }

    public CompletableFuture<Long> memoryCount() {
        return onNode(c -> CompletableFuture.completedFuture(c.state().memoryCount()));
    }

    @Override
    public CompletableFuture<Void> replaceNotes(String text, Durability durability) {
        // Unchanged text writes nothing, so it is answered at once, with MAJORITY too: the text is then only as
        // durable as the write that set it (docs/protocol.md, "Majority-durable writes and catch-up").
        return measured(durability, () -> onNode(c -> c.state().notes().equals(text)
                ? CompletableFuture.<Void>completedFuture(null)
                : c.write(s -> s.replaceNotes(text).orElseThrow(), durability).thenApply(signed -> (Void) null)));
    }

    @Override
    public CompletableFuture<Object> upsertTask(String id, String title, String status, String detail,
                                                Durability durability) {
        Task.Status parsed;
        try {
            parsed = Task.Status.valueOf(status.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "task status must be one of TODO, DOING, DONE, CANCELLED; got '" + status + "'"));
        }
        Task task = new Task(id, title, parsed, clock.nowMillis(), detail);
        return write(s -> s.upsertTask(task), durability).thenApply(v -> task);
    }

    @Override
    public CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence) {
        return requestIntent(kind, payloadJson, fence, Durability.LOCAL);
    }

    @Override
    public CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence,
                                                   Durability durability) {
        Intent intent = new Intent(UUID.randomUUID().toString(), kind, payloadJson, identity.nodeId().toString(),
                clock.nowMillis(), fence);
        return measured(durability, () -> onNode(c -> c.write(s -> s.requestIntent(intent), durability).thenApply(v -> {
            c.intentRequested();
            return (Object) intent;
        })));
    }

    @Override
    public CompletableFuture<Object> addSchedule(String id, String cron, String zone, String kind, String payloadJson,
                                                 String catchUp) {
        Schedule schedule = new Schedule(id, cron, zone, kind, payloadJson, catchUp, clock.nowMillis());
        try {
            new ScheduleExpander(60_000, 100).validate(schedule); // checks cron and zone only
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(e.getMessage(), e));
        }
        return write(s -> s.addSchedule(schedule)).thenApply(v -> schedule);
    }

    @Override
    public CompletableFuture<List<Map<String, Object>>> recentIntents(int limit) {
        return onNode(c -> {
            List<Intent> all = new ArrayList<>(c.state().intents());
            all.sort(java.util.Comparator.comparingLong(Intent::requestedMillis)
                    .thenComparing(Intent::id));
            List<Map<String, Object>> out = new ArrayList<>();
            for (Intent i : all.subList(Math.max(0, all.size() - limit), all.size())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("intent", i);
                m.put("outcome", c.state().outcome(i.id()).orElse(null));
                out.add(m);
            }
            return CompletableFuture.completedFuture(out);
        });
    }

    @Override
    public CompletableFuture<Optional<Object>> intent(String id) {
        return onNode(c -> CompletableFuture.completedFuture(c.state().intent(id).map(i -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("intent", i);
            m.put("outcome", c.state().outcome(id).orElse(null));
            return (Object) m;
        })));
    }

    @Override
    public CompletableFuture<Object> state() {
        return onNode(c -> CompletableFuture.completedFuture(c.state().view()));
    }

    @Override
    public CompletableFuture<byte[]> exportAutomerge() {
        return onNode(c -> CompletableFuture.completedFuture(
                io.agentmesh.state.export.AutomergeFile.export(c.state())));
    }

    @Override
    public CompletableFuture<Optional<Object>> consensusEvents(long afterSeq) {
        return onNode(c -> CompletableFuture.completedFuture(c.consensus().map(cn -> (Object) cn.events(afterSeq))));
    }

    @Override
    public CompletableFuture<Map<String, Object>> status() {
        return onNode(c -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("node", identity.nodeId().toString());
            s.put("agent", identity.agentId().toString());
            s.put("role", identity.certificate().role().name().toLowerCase(Locale.ROOT));
            s.put("incarnation", identity.incarnation());
            s.put("actor", identity.actor().hex());
            s.put("uptimeMs", (clock.monotonicNanos() - startedNanos) / 1_000_000);
            s.put("nowMillis", clock.nowMillis());
            s.put("healthy", c.healthy());
            s.put("changes", store.changeCount());
            Map<String, Long> vector = new LinkedHashMap<>();
            store.vector().seqs().forEach((a, q) -> vector.put(a.hex(), q));
            s.put("vector", vector);
            s.put("memoryEntries", c.state().memoryCount());
            c.consensus().ifPresent(cn -> {
                var st = cn.status();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("role", st.role().toLowerCase(Locale.ROOT));
                m.put("leader", st.leader().map(NodeId::toString).orElse(null));
                m.put("term", st.term());
                m.put("appliedIndex", st.appliedIndex());
                m.put("pending", st.pending());
                m.put("inFlight", st.inFlight());
                m.put("completed", st.completed());
                m.put("voters", st.voters());
                m.put("learners", st.learners());
                st.note().ifPresent(n -> m.put("note", n));
                m.put("stuckFollowerResets", st.stuckFollowerResets());
                m.put("higherTermsAdopted", st.higherTermsAdopted());
                m.put("candidatePreVotes", st.candidatePreVotes());
                m.put("voteTimerResets", st.voteTimerResets());
                m.put("staggeredTicks", st.staggeredTicks());
                m.put("outcomes", cn.journal().completedByStatus());
                m.put("leaderHistory", cn.leaderHistory());
                s.put("consensus", m);
                if (!witness()) {
                    s.put("llm", io.agentmesh.node.llm.report.LlmReports.summary(ledgerView(c), clock.nowMillis()));
                }
            });
            if (agent != null) {
                s.put("agentProcess", agent.runner().status());
            }
            s.put("mesh", boundMesh.getHostString() + ":" + boundMesh.getPort());
            List<Map<String, Object>> peers = c.peerStatus();
            for (Map<String, Object> p : peers) {
                p.put("relayed", network.isRelayed(NodeId.parse((String) p.get("node"))));
            }
            s.put("peers", peers);
            if (relays != null) {
                s.put("relays", relays.relays().stream().map(Object::toString).toList());
            }
            var r = c.replicator().stats();
            s.put("replication", Map.of("changesSent", r.changesSent(), "bytesSent", r.bytesSent(),
                    "changesApplied", r.changesApplied(), "duplicates", r.duplicates(), "pullStalls", r.pullStalls(),
                    "rejected", r.rejected(), "refusedRevoked", r.refusedRevoked(), "durableAnswers", r.durableAnswers(),
                    "majorityWritesWaiting", c.majorityWritesWaiting()));
            s.put("removedNodes", c.revocations().revoked().stream().map(NodeId::toString).toList());
            s.put("exec", settings.exec().summary());
            if (mirror != null) {
                s.put("workspace", mirror.status());
            }
            if (backups != null) {
                Map<String, Object> backupLine = new LinkedHashMap<>(backups.summary());
                backupLine.put("freshness", freshness(c).stream().map(f -> f.toMap()).toList());
                s.put("backup", backupLine);
                s.put("drill", drill.status(backupPeriods(c, io.agentmesh.node.backup.run.BackupSchedules.DRILL_KIND)));
            }
            return CompletableFuture.completedFuture(s);
        });
    }

    @Override
    public CompletableFuture<Map<String, Object>> revocations() {
        return onNode(c -> {
            List<Map<String, Object>> records = new ArrayList<>();
            for (NodeRevocation r : c.revocations().records()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("node", r.nodeId().toString());
                m.put("removed", c.revocations().isRevoked(r.nodeId()));
                m.put("revokedAt", r.revokedAt());
                m.put("reason", r.reason());
                m.put("cut", cutView(r.cut()));
                m.put("record", r.toJson());
                records.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("revocations", records);
            out.put("refusedFromPeers", c.revocationsRefused());
            out.put("changesHeldPastCut", c.changesHeldPastCut());
            return CompletableFuture.completedFuture(out);
        });
    }

    @Override
    public CompletableFuture<Boolean> revoke(NodeRevocation revocation) {
        return onNode(c -> CompletableFuture.completedFuture(c.revoke(revocation)));
    }

    @Override
    public CompletableFuture<Map<String, Object>> revocationDraft(NodeId node) {
        return onNode(c -> {
            RevocationDraft d = c.revocationDraft(node);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", d.certificate().nodeId().toString());
            m.put("nodeKey", d.certificate().nodeKey().hex());
            m.put("agentRootKey", d.certificate().agentRootKey().hex());
            m.put("certificateIssuedAt", d.certificate().issuedAt());
            m.put("cut", cutView(d.cut()));
            return CompletableFuture.completedFuture(m);
        });
    }

    private static List<Map<String, Object>> cutView(List<NodeRevocation.Cut> cut) {
        return cut.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("actor", c.actorHex());
            m.put("lastValidSeq", c.lastValidSeq());
            return m;
        }).toList();
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> staleFence(io.agentmesh.node.actions.FencingToken presented) {
        return onNode(c -> CompletableFuture.completedFuture(io.agentmesh.node.agent.FenceCheck.refusal(
                c.consensus().flatMap(cn -> cn.journal().agentFence()), presented)));
    }

    @Override
    public Optional<io.agentmesh.node.workspace.WorkspaceHttp> workspace() {
        return Optional.ofNullable(workspaceHttp);
    }

    @Override
    public Optional<io.agentmesh.node.llm.api.LlmHttp> llmEndpoints() {
        return Optional.ofNullable(llmHttp);
    }

    @Override
    public Optional<io.agentmesh.node.wallet.api.WalletHttp> walletEndpoints() {
        return Optional.ofNullable(wallet).map(io.agentmesh.node.wallet.api.WalletRuntime::http);
    }

    /** The gateway's status with the ledger's replicated spend and health facts; empty on a witness. */
    @Override
    public CompletableFuture<Optional<Map<String, Object>>> llmStatus() {
        if (witness()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return llm.status().thenCompose(gateway -> onNode(c -> CompletableFuture.completedFuture(Optional.of(
                io.agentmesh.node.llm.report.LlmReports.status(identity.nodeId().toString(),
                        c.consensus().map(cn -> cn.status().role().toLowerCase(Locale.ROOT)).orElse("none"),
                        gateway, settings.llm().budgets(), ledgerView(c), clock.nowMillis())))));
    }

    @Override
    public CompletableFuture<Optional<Map<String, Object>>> llmCosts(int days) {
        if (witness()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return onNode(c -> CompletableFuture.completedFuture(Optional.of(io.agentmesh.node.llm.report.LlmReports.costs(
                identity.nodeId().toString(), ledgerView(c).spend(), days, clock.nowMillis()))));
    }

    @Override
    public CompletableFuture<Optional<String>> llmMetrics() {
        if (witness()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return llm.status().thenCompose(gateway -> onNode(c -> CompletableFuture.completedFuture(Optional.of(
                io.agentmesh.node.llm.report.LlmReports.prometheus(gateway, settings.llm().budgets(), ledgerView(c),
                        clock.nowMillis())))));
    }

    /** This node's replica of the call ledger (empty before it takes part in consensus). Node thread. */
    private static io.agentmesh.node.llm.report.LlmReports.LedgerView ledgerView(NodeCore c) {
        return c.consensus().map(cn -> new io.agentmesh.node.llm.report.LlmReports.LedgerView(cn.ledger().spend(),
                        cn.ledger().recentEnds(), cn.ledger().openCalls(), cn.ledger().reservedNanoUsd()))
                .orElseGet(() -> new io.agentmesh.node.llm.report.LlmReports.LedgerView(List.of(), Map.of(),
                        List.of(), 0));
    }

    @Override
    public Optional<io.agentmesh.node.api.MetricsSource> metrics() {
        return Optional.ofNullable(meters);
    }

    /** API requests refused so far by reason; none before the API exists. */
    private Map<String, Long> httpRefusals() {
        HttpApi api = http;
        return api == null ? Map.of() : api.refusals();
    }

    /** The agent's runner, once it exists, on a node that hosts the agent. */
    private Optional<io.agentmesh.node.agent.AgentRunner> agentRunner() {
        return Optional.ofNullable(agent).map(AgentProcesses.Hosted::runner);
    }

    /** The node's meters: a feature registers its own on {@code meters().registry()}. */
    public io.agentmesh.node.metrics.NodeMeters meters() {
        return meters;
    }

    @Override
    public boolean ready() {
        return ready;
    }

    @Override
    public boolean witness() {
        return identity.certificate().role() == Role.WITNESS;
    }

    @Override
    public Optional<FaultControl> faults() {
        if (!settings.faultInjection()) {
            return Optional.empty();
        }
        FaultInjector injector = network.faults();
        return Optional.of(new FaultControl() {
            @Override
            public void apply(String action, String peer, long delayMs) {
                if (action.equals("clear")) {
                    injector.clear();
                    return;
                }
                NodeId id = NodeId.parse(peer);
                switch (action) {
                    case "block" -> injector.block(id);
                    case "unblock" -> injector.unblock(id);
                    case "drop" -> injector.drop(id);
                    case "delay" -> injector.delay(id, delayMs);
                    case "blockDirect" -> injector.blockDirect(id);
                    case "unblockDirect" -> injector.unblockDirect(id);
                    default -> throw new IllegalArgumentException("unknown fault action '" + action
                            + "'; use block, unblock, drop, delay, blockDirect, unblockDirect or clear");
                }
                // Blocking stops frames, but a live connection would linger until the failure detector fires.
                if (action.equals("block") || action.equals("drop") || action.equals("blockDirect")) {
                    nodeThread.execute(() -> network.disconnect(id, "fault injection: " + action));
                }
            }

            @Override
            public Map<String, Object> snapshot() {
                Map<String, Object> rules = new LinkedHashMap<>();
                injector.snapshot().forEach((peer, rule) -> rules.put(peer.toString(), rule));
                return Map.of("rules", rules);
            }
        });
    }
}
