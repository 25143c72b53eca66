package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.agentmesh.node.consensus.HandDrivenMember.id;

/**
 * Where the tests of one {@link HandDrivenMember} start: nodes a, b and c, and member a, started by the test with the
 * founding list it needs, with its Raft log in a fresh directory that is closed after each test.
 */
abstract class HandDrivenMemberBase {
    final NodeId a = id(1);
    final NodeId b = id(2);
    final NodeId c = id(3);
    /** Member a, once {@link #startA} ran. */
    HandDrivenMember m;

    @TempDir
    Path dir;

    /** Starts member a, founding the group with {@code founders} (a among them). */
    void startA(NodeId... founders) throws IOException {
        m = new HandDrivenMember(a, List.of(founders), dir);
    }

    /** As {@link #startA}, with {@code config}. */
    void startA(ConsensusConfig config, NodeId... founders) throws IOException {
        m = new HandDrivenMember(a, List.of(founders), dir, config);
    }

    @AfterEach
    void close() throws IOException {
        if (m != null) {
            m.close();
        }
    }
}
