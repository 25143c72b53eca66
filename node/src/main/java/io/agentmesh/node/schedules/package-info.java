/**
 * Cron schedules turned into intents by the leader, with ids derived from (schedule id, fire time), so a failover
 * never fires a job twice.
 */
package io.agentmesh.node.schedules;
