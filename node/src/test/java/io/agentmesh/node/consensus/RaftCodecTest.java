package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.groupop.UpdateRaftGroupMembersOp;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.log.SnapshotEntry;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.VoteResponse;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.actions.JournalOp;
import io.agentmesh.node.actions.JournalSnapshotChunk;
/**
 * Every MicroRaft model type the codec carries is built through the model factory with every setter given a
 * distinct, non-default value (by reflection, so a field cannot be forgotten), encoded, decoded and compared getter by
 * getter. Malformed input of every kind must end in a CodecException and nothing else.
 */
class RaftCodecTest {
    static final RaftCodec CODEC = new RaftCodec();
    static final RaftModelFactory F = CODEC.modelFactory();
    static final MeshEndpoint A = new MeshEndpoint("node-a");
    static final MeshEndpoint B = new MeshEndpoint("node-b");
    static final MeshEndpoint C = new MeshEndpoint("node-c-\u00e9\u4e2d"); // non-ASCII survives

    /** Model types kept only by the store (built from its columns), never encoded as such. */
    static final Set<Class<?>> STORE_ONLY = Set.of(SnapshotEntry.class, RaftEndpointPersistentState.class,
            RaftTermPersistentState.class);

    // ------------------------------------------------------------------------------------------- samples

    static Object journalSnapshotChunk() {
        JournalEntry done = new JournalEntry("i-1", "job", "node-a", new FencingToken(3, 7), new byte[] {1, 2, 3},
                new JournalEntry.Completion("succeeded", "ok \u2713", 1_700_000_000_123L, 9), 2);
        JournalEntry open = new JournalEntry("i-2", "wallet", "node-b", new FencingToken(4, 12), null, null, 1);
        return new JournalSnapshotChunk(List.of(done, open), List.of("old-1", "old-2"));
    }

    static List<Object> logOperations() {
        return List.of(
                new Claim("intent-1", "job", "node-a", 5),
                new Prepare("intent-1", new FencingToken(5, 17), "signed".getBytes(StandardCharsets.UTF_8)),
                new Prepare("intent-0", new FencingToken(1, 1), new byte[0]),
                new Complete("intent-1", new FencingToken(5, 17), "succeeded", "{\"answer\":42}", 1_700_000_000_000L),
                new Complete("intent-2", new FencingToken(6, 20), "failed", "", -5),
                NewTerm.INSTANCE,
                new io.agentmesh.node.actions.JournalOp.AgentRun("node-a", 5, 500),
                F.createUpdateRaftGroupMembersOpBuilder().setMembers(List.of(A, B, C)).setVotingMembers(List.of(A, C))
                        .setEndpoint(B).setMode(MembershipChangeMode.ADD_LEARNER).build());
    }

    /** Builds one instance of the type a factory method's builder makes, every setter called. */
    static Object fill(Method factoryMethod) throws Exception {
        Object builder = factoryMethod.invoke(F);
        long[] counter = {3};
        Class<?> model = factoryMethod.getReturnType().getEnclosingClass();
        List<Method> setters = new ArrayList<>(Arrays.asList(factoryMethod.getReturnType().getMethods()));
        setters.sort(Comparator.comparing(Method::getName));
        for (Method setter : setters) {
            if (!setter.getName().startsWith("set") || setter.getParameterCount() != 1
                    || Modifier.isStatic(setter.getModifiers())) {
                continue;
            }
            setter.invoke(builder, valueFor(model, setter, counter));
        }
        return builder.getClass().getMethod("build").invoke(builder);
    }

    static Object valueFor(Class<?> model, Method setter, long[] counter) {
        Class<?> type = setter.getParameterTypes()[0];
        String name = setter.getName();
        if (name.equals("setGroupId")) {
            return "group-\u00fc";
        }
        if (name.equals("setOperation")) {
            return SnapshotChunk.class.isAssignableFrom(model) ? journalSnapshotChunk() : logOperations().get(3);
        }
        if (name.equals("setSnapshotChunkIndex")) {
            return 1;
        }
        if (name.equals("setSnapshotChunkCount")) {
            return 3;
        }
        if (name.equals("setLogEntries")) {
            List<LogEntry> entries = new ArrayList<>();
            long index = 40;
            for (Object op : logOperations()) {
                entries.add(F.createLogEntryBuilder().setIndex(index++).setTerm(7).setOperation(op).build());
            }
            return entries;
        }
        if (name.equals("setSnapshotChunks")) {
            return List.of(sampleChunk());
        }
        if (type == int.class) {
            return (int) counter[0]++;
        }
        if (type == long.class) {
            return 1_000_000_000L * counter[0]++;
        }
        if (type == boolean.class) {
            return true;
        }
        if (type == RaftEndpoint.class) {
            return B;
        }
        if (type == Collection.class) {
            return List.of(C, A, B); // not sorted: order must survive
        }
        if (type == SnapshotChunk.class) {
            return sampleChunk();
        }
        if (type == RaftGroupMembersView.class) {
            return sampleView();
        }
        if (type == MembershipChangeMode.class) {
            return MembershipChangeMode.REMOVE_MEMBER;
        }
        throw new AssertionError("no sample value for " + setter);
    }

    static SnapshotChunk sampleChunk() {
        return F.createSnapshotChunkBuilder().setIndex(90).setTerm(4).setSnapshotChunkIndex(0)
                .setSnapshotChunkCount(2).setOperation(journalSnapshotChunk()).setGroupMembersView(sampleView())
                .build();
    }

    static RaftGroupMembersView sampleView() {
        return F.createRaftGroupMembersViewBuilder().setLogIndex(77).setMembers(List.of(B, A, C))
                .setVotingMembers(List.of(B, C)).build();
    }

    static List<Method> factoryMethods() {
        List<Method> out = new ArrayList<>(Arrays.asList(RaftModelFactory.class.getMethods()));
        out.sort(Comparator.comparing(Method::getName));
        return out;
    }

    static List<Method> wireFactoryMethods() {
        return factoryMethods().stream()
                .filter(m -> !STORE_ONLY.contains(m.getReturnType().getEnclosingClass())).toList();
    }

    // ------------------------------------------------------------------------------------------- round trips

    @ParameterizedTest
    @MethodSource("wireFactoryMethods")
    void everyModelTypeRoundTripsWithEveryField(Method factoryMethod) throws Exception {
        Object original = fill(factoryMethod);
        Object decoded = roundTrip(original);
        assertSameModel(original, decoded, factoryMethod.getReturnType().getEnclosingClass().getSimpleName());
    }

    @Test
    void theTenMessageTypesAreAllCovered() {
        Set<String> messageTypes = new TreeSet<>();
        for (Method m : factoryMethods()) {
            Class<?> model = m.getReturnType().getEnclosingClass();
            if (RaftMessage.class.isAssignableFrom(model)) {
                messageTypes.add(model.getSimpleName());
            }
        }
        assertEquals(Set.of("AppendEntriesRequest", "AppendEntriesSuccessResponse", "AppendEntriesFailureResponse",
                "InstallSnapshotRequest", "InstallSnapshotResponse", "PreVoteRequest", "PreVoteResponse", "VoteRequest",
                "VoteResponse", "TriggerLeaderElectionRequest"), messageTypes,
                "MicroRaft's message set changed: teach RaftCodec the new type");
    }

    @Test
    void installSnapshotRequestWithoutChunkOrViewAndEmptyLists() {
        RaftMessage m = F.createInstallSnapshotRequestBuilder().setGroupId("g").setSender(A).setTerm(0)
                .setSenderLeader(false).setSnapshotTerm(0).setSnapshotIndex(0).setTotalSnapshotChunkCount(0)
                .setSnapshotChunk(null).setSnapshottedMembers(List.of()).setGroupMembersView(null)
                .setQuerySequenceNumber(0).setFlowControlSequenceNumber(0).build();
        assertSameModel(m, roundTrip(m), "InstallSnapshotRequest");
        RaftMessage heartbeat = F.createAppendEntriesRequestBuilder().setGroupId("g").setSender(A).setTerm(2)
                .setLogEntries(List.of()).build();
        assertSameModel(heartbeat, roundTrip(heartbeat), "AppendEntriesRequest");
    }

    @Test
    void everyLogOperationRoundTrips() {
        for (Object op : logOperations()) {
            assertSameModel(op, CODEC.decodeOperation(CODEC.encodeOperation(op)), op.getClass().getSimpleName());
            LogEntry e = F.createLogEntryBuilder().setIndex(5).setTerm(2).setOperation(op).build();
            assertSameModel(e, CODEC.decodeLogEntry(CODEC.encodeLogEntry(e)), "LogEntry");
        }
        Object chunk = journalSnapshotChunk();
        assertEquals(chunk, CODEC.decodeOperation(CODEC.encodeOperation(chunk)));
        assertEquals(A, CODEC.decodeEndpoint(CODEC.encodeEndpoint(A)));
        assertEquals(C, CODEC.decodeEndpoint(CODEC.encodeEndpoint(C)));
    }

    static Object roundTrip(Object o) {
        return switch (o) {
            case RaftMessage m -> {
                byte[] bytes = CODEC.encodeMessage(m);
                RaftMessage back = CODEC.decodeMessage(bytes);
                assertArrayEquals(bytes, CODEC.encodeMessage(back), "re-encoding is stable");
                yield back;
            }
            case LogEntry e -> CODEC.decodeLogEntry(CODEC.encodeLogEntry(e));
            case SnapshotChunk c -> CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(c));
            case RaftGroupMembersView v -> CODEC.decodeMembersView(CODEC.encodeMembersView(v));
            case UpdateRaftGroupMembersOp u -> CODEC.decodeOperation(CODEC.encodeOperation(u));
            default -> throw new AssertionError("no codec entry point for " + o.getClass());
        };
    }

    /** Compares two model objects through every getter of their MicroRaft interfaces, recursively. */
    static void assertSameModel(Object expected, Object actual, String path) {
        if (expected == null || actual == null) {
            assertEquals(expected, actual, path);
            return;
        }
        if (expected instanceof JournalOp || expected instanceof JournalSnapshotChunk
                || expected instanceof RaftEndpoint || expected instanceof String || expected instanceof Number
                || expected instanceof Boolean || expected instanceof Enum<?>) {
            assertEquals(expected, actual, path);
            return;
        }
        if (expected instanceof Collection<?> ce) {
            Collection<?> ca = assertInstanceOf(Collection.class, actual, path);
            assertEquals(ce.size(), ca.size(), path + ".size");
            Iterator<?> ie = ce.iterator();
            Iterator<?> ia = ca.iterator();
            for (int i = 0; ie.hasNext(); i++) {
                assertSameModel(ie.next(), ia.next(), path + "[" + i + "]");
            }
            return;
        }
        int compared = 0;
        for (Class<?> iface : allInterfaces(expected.getClass())) {
            if (!iface.getName().startsWith("io.microraft.model")) {
                continue;
            }
            assertTrue(iface.isInstance(actual), path + ": decoded object is not a " + iface.getSimpleName());
            for (Method g : iface.getMethods()) {
                if (g.getParameterCount() == 0 && (g.getName().startsWith("get") || g.getName().startsWith("is"))
                        && g.getDeclaringClass().getName().startsWith("io.microraft.model")) {
                    try {
                        assertSameModel(g.invoke(expected), g.invoke(actual), path + "." + g.getName());
                        compared++;
                    } catch (ReflectiveOperationException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
        assertTrue(compared > 0, path + ": nothing compared for " + expected.getClass());
    }

    static Set<Class<?>> allInterfaces(Class<?> c) {
        Set<Class<?>> out = new java.util.LinkedHashSet<>();
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                out.add(i);
                out.addAll(allInterfaces(i));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------- malformed

    static List<byte[]> validEncodings() throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (Method m : wireFactoryMethods()) {
            Object o = fill(m);
            out.add(switch (o) {
                case RaftMessage x -> CODEC.encodeMessage(x);
                case LogEntry x -> CODEC.encodeLogEntry(x);
                case SnapshotChunk x -> CODEC.encodeSnapshotChunk(x);
                case RaftGroupMembersView x -> CODEC.encodeMembersView(x);
                default -> CODEC.encodeOperation(o);
            });
        }
        return out;
    }

    /** Tries every decoder: a blob must be refused with CodecException by all but at most the right one. */
    static List<Function<byte[], Object>> decoders() {
        return List.of(CODEC::decodeMessage, CODEC::decodeLogEntry, CODEC::decodeSnapshotChunk,
                CODEC::decodeMembersView, CODEC::decodeEndpoint, CODEC::decodeOperation);
    }

    @Test
    void everyTruncationIsRefused() throws Exception {
        for (byte[] valid : validEncodings()) {
            for (int len = 0; len < valid.length; len++) {
                byte[] cut = Arrays.copyOf(valid, len);
                for (Function<byte[], Object> d : decoders()) {
                    assertThrows(CodecException.class, () -> d.apply(cut), "prefix of " + len + "/" + valid.length);
                }
            }
        }
    }

    @Test
    void trailingBytesAreRefused() throws Exception {
        for (byte[] valid : validEncodings()) {
            byte[] longer = Arrays.copyOf(valid, valid.length + 1);
            for (Function<byte[], Object> d : decoders()) {
                assertThrows(CodecException.class, () -> d.apply(longer));
            }
        }
    }

    @Test
    void wrongVersionKindTagBooleanUtf8AndRangesAreRefused() {
        byte[] vote = CODEC.encodeMessage(voteResponse(true));
        byte[] badVersion = vote.clone();
        badVersion[0] = 2;
        assertMessage("unknown format version", () -> CODEC.decodeMessage(badVersion));
        byte[] badKind = vote.clone();
        badKind[1] = 99;
        assertMessage("unknown message type", () -> CODEC.decodeMessage(badKind));
        byte[] badBool = vote.clone();
        badBool[badBool.length - 1] = 2;
        assertMessage("a boolean is 0 or 1", () -> CODEC.decodeMessage(badBool));
        assertMessage("expected type", () -> CODEC.decodeLogEntry(vote));
        assertMessage("empty", () -> CODEC.decodeMessage(new byte[0]));
        assertMessage("empty", () -> CODEC.decodeMessage(null));

        // group id with invalid UTF-8
        ByteBuffer b = ByteBuffer.allocate(64);
        b.put((byte) 1).put((byte) RaftCodec.VOTE_RESPONSE).putInt(2).put((byte) 0xc3).put((byte) 0x28);
        assertMessage("not valid UTF-8", () -> CODEC.decodeMessage(Arrays.copyOf(b.array(), b.position())));

        // negative term
        BoundedWriter w = raw().u8(1).u8(RaftCodec.VOTE_RESPONSE).text32("g").text32("node-a").i32(-1).bool(true);
        assertMessage("term: must be >= 0", () -> CODEC.decodeMessage(w.toByteArray()));

        // a forged entry count cannot make the decoder allocate
        BoundedWriter huge = raw().u8(1).u8(RaftCodec.APPEND_ENTRIES_REQUEST).text32("g").text32("node-a").i32(1)
                .i32(0).i64(0).i64(0).i32(Integer.MAX_VALUE);
        assertMessage("at most", () -> CODEC.decodeMessage(huge.toByteArray()));
        BoundedWriter many = raw().u8(1).u8(RaftCodec.APPEND_ENTRIES_REQUEST).text32("g").text32("node-a").i32(1)
                .i32(0).i64(0).i64(0).i32(50_000);
        assertMessage("cannot fit", () -> CODEC.decodeMessage(many.toByteArray()));

        // an empty endpoint, a too long one
        BoundedWriter emptySender = raw().u8(1).u8(RaftCodec.VOTE_RESPONSE).text32("g").text32("").i32(1)
                .bool(true);
        assertThrows(CodecException.class, () -> CODEC.decodeMessage(emptySender.toByteArray()));

        // unknown operation tag, and operations in the wrong place
        assertMessage("unknown operation type", () -> CODEC.decodeOperation(new byte[] {1, 36, 99}));
        LogEntry withChunk = F.createLogEntryBuilder().setIndex(1).setTerm(1).setOperation(journalSnapshotChunk())
                .build();
        byte[] misplaced = CODEC.encodeLogEntry(withChunk); // the encoder does not police placement...
        assertMessage("does not belong here", () -> CODEC.decodeLogEntry(misplaced)); // ...the decoder does

        // snapshot chunk index out of range
        SnapshotChunk bad = F.createSnapshotChunkBuilder().setIndex(5).setTerm(1).setSnapshotChunkIndex(2)
                .setSnapshotChunkCount(2).setOperation(journalSnapshotChunk()).setGroupMembersView(sampleView())
                .build();
        assertMessage("out of range", () -> CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(bad)));

        // duplicate members, voting member not a member
        RaftGroupMembersView dup = F.createRaftGroupMembersViewBuilder().setLogIndex(0).setMembers(List.of(A, A))
                .setVotingMembers(List.of(A)).build();
        assertMessage("twice", () -> CODEC.decodeMembersView(CODEC.encodeMembersView(dup)));
        RaftGroupMembersView stranger = F.createRaftGroupMembersViewBuilder().setLogIndex(0).setMembers(List.of(A))
                .setVotingMembers(List.of(B)).build();
        assertMessage("not all members", () -> CODEC.decodeMembersView(CODEC.encodeMembersView(stranger)));

        // journal operation fields out of range: an over-long kind, a zero claim index
        BoundedWriter longKind = raw().u8(1).u8(RaftCodec.OPERATION).u8(RaftCodec.OP_CLAIM).text32("i")
                .text32("k".repeat(65)).text32("node-a").i64(1);
        assertThrows(CodecException.class, () -> CODEC.decodeOperation(longKind.toByteArray()));
        BoundedWriter zeroIndex = raw().u8(1).u8(RaftCodec.OPERATION).u8(RaftCodec.OP_PREPARE).text32("i")
                .i64(1).i64(0).bytes32(new byte[1]);
        assertMessage("fencing token", () -> CODEC.decodeOperation(zeroIndex.toByteArray()));
    }

    /** The counts' minimum item sizes are the shortest encodings, so no valid list is refused as not fitting. */
    @Test
    void minimumItemSizesAreTheShortestEncodings() {
        int header = 2; // format version, kind
        LogEntry shortest = F.createLogEntryBuilder().setIndex(1).setTerm(1).setOperation(NewTerm.INSTANCE).build();
        assertEquals(RaftCodec.MIN_LOG_ENTRY_BYTES, CODEC.encodeLogEntry(shortest).length - header);
        assertEquals(RaftCodec.MIN_ENDPOINT_BYTES, CODEC.encodeEndpoint(new MeshEndpoint("x")).length - header);
        int empty = CODEC.encodeOperation(new JournalSnapshotChunk(List.of(), List.of())).length;
        int oneTombstone = CODEC.encodeOperation(new JournalSnapshotChunk(List.of(), List.of("x"))).length;
        assertEquals(RaftCodec.MIN_TOMBSTONE_BYTES, oneTombstone - empty);
        JournalEntry bare = new JournalEntry("i", "k", "h", new FencingToken(0, 1), null, null, 1);
        int oneEntry = CODEC.encodeOperation(new JournalSnapshotChunk(List.of(bare), List.of())).length;
        assertEquals(RaftCodec.MIN_JOURNAL_ENTRY_BYTES, oneEntry - empty - 3, "three one-character texts");
    }

    @Test
    void unencodableValuesAreRefusedClearly() {
        RaftEndpoint foreign = () -> "x";
        VoteResponse m = F.createVoteResponseBuilder().setGroupId("g").setSender(foreign).setTerm(1).build();
        assertMessage("MeshEndpoints", () -> CODEC.encodeMessage(m));
        VoteResponse badGroup = F.createVoteResponseBuilder().setGroupId(42).setSender(A).setTerm(1).build();
        assertMessage("group ids are Strings", () -> CODEC.encodeMessage(badGroup));
        LogEntry strange = F.createLogEntryBuilder().setIndex(1).setTerm(1).setOperation("a string").build();
        assertMessage("unsupported operation", () -> CODEC.encodeLogEntry(strange));
    }

    @Test
    void fuzzedInputDecodesOrFailsCleanly() throws Exception {
        Random random = new Random(1234);
        List<byte[]> valid = validEncodings();
        int decoded = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] input;
            if (round % 10 == 0) {
                input = new byte[random.nextInt(64)];
                random.nextBytes(input);
            } else {
                input = valid.get(random.nextInt(valid.size())).clone();
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips && input.length > 0; i++) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
            }
            for (Function<byte[], Object> d : decoders()) {
                try {
                    d.apply(input);
                    decoded++;
                } catch (CodecException expected) {
                    // refused cleanly
                } catch (RuntimeException e) {
                    fail("decoder threw " + e + " instead of CodecException on " + Arrays.toString(input));
                }
            }
        }
        assertTrue(decoded > 0, "some mutations (e.g. of numbers) still decode");
    }

    /** Hand-made consensus bytes, for inputs the codec itself would never write. */
    static BoundedWriter raw() {
        return new BoundedWriter(1024);
    }

    static VoteResponse voteResponse(boolean granted) {
        return F.createVoteResponseBuilder().setGroupId("g").setSender(A).setTerm(3).setGranted(granted).build();
    }

    static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable e) {
        CodecException ex = assertThrows(CodecException.class, e);
        assertTrue(ex.getMessage().contains(fragment), "'" + ex.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void groupMessagesRoundTripBesideMicroRaftsMessages() {
        MeshEndpoint a = new MeshEndpoint("a");
        MeshEndpoint b = new MeshEndpoint("b");
        GroupMessage.Query query = new GroupMessage.Query("g", a, List.of(a, b));
        GroupMessage.Info info = new GroupMessage.Info("g", b, List.of(a, b), List.of(a, b), List.of(a, b,
                new MeshEndpoint("c")), List.of(a, b), 7);
        GroupMessage.Info none = new GroupMessage.Info("g", b, List.of(), List.of(), List.of(), List.of(), 0);
        for (GroupMessage m : List.of(query, info, none)) {
            assertEquals(m, CODEC.decodePayload(CODEC.encodeGroupMessage(m)));
        }
        RaftMessage vote = F.createVoteRequestBuilder().setGroupId("g").setSender(a).setTerm(3).setLastLogTerm(2)
                .setLastLogIndex(9).setSticky(true).build();
        assertSameModel(vote, CODEC.decodePayload(CODEC.encodeMessage(vote)), "VoteRequest");
    }

    @Test
    void malformedGroupMessagesAreRefusedWithTheReason() {
        MeshEndpoint a = new MeshEndpoint("a");
        byte[] good = CODEC.encodeGroupMessage(new GroupMessage.Info("g", a, List.of(), List.of(a), List.of(a),
                List.of(a), 3));
        assertMessage("malformed consensus message", () -> CODEC.decodePayload(Arrays.copyOf(good, good.length - 1)));
        byte[] extra = Arrays.copyOf(good, good.length + 1);
        assertMessage("malformed consensus message", () -> CODEC.decodePayload(extra));
        // A group with initial members but no current ones cannot exist.
        BoundedWriter w = new BoundedWriter(1024).u8(RaftCodec.FORMAT_VERSION).u8(RaftCodec.GROUP_INFO).text32("g")
                .text32("a").i32(0).i32(1).text32("a").i32(0).i32(0).i64(0);
        assertMessage("both initial and current members", () -> CODEC.decodePayload(w.toByteArray()));
        BoundedWriter dup = new BoundedWriter(1024).u8(RaftCodec.FORMAT_VERSION).u8(RaftCodec.GROUP_QUERY)
                .text32("g").text32("a").i32(2).text32("a").text32("a");
        assertMessage("founders lists a twice", () -> CODEC.decodePayload(dup.toByteArray()));
    }

    @Test
    void nullChunkAndViewStayNull() {
        RaftMessage m = F.createInstallSnapshotRequestBuilder().setGroupId("g").setSender(A).setTerm(1)
                .setSnapshottedMembers(List.of()).build();
        io.microraft.model.message.InstallSnapshotRequest back =
                (io.microraft.model.message.InstallSnapshotRequest) CODEC.decodeMessage(CODEC.encodeMessage(m));
        assertNull(back.getSnapshotChunk());
        assertNull(back.getGroupMembersView());
    }
}
