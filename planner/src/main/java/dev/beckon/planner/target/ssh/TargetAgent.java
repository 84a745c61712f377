package dev.beckon.planner.target.ssh;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModules;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.store.Store;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSession;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * beckon's agent on a remote target: started over SSH by the deploying beckon, it runs the activation
 * modules there, in-process, and answers requests on stdin with responses on stdout (see {@link AgentProtocol}).
 *
 * <p>When its input ends without a word (the deployer was killed, the connection dropped), it exits at once
 * and keeps the target locks it holds: their holder, this process, is then gone, so the next deployment
 * finds them stale, and the deployer's journal says what to recover.
 */
public final class TargetAgent {
    private final PrintStream protocol;
    private final LocalTargetSession session;
    private final String profile;
    private final Map<String, TargetSession.Handle> targetLocks = new HashMap<>();

    private TargetAgent(PrintStream protocol, String profile) {
        this.protocol = protocol;
        this.profile = profile;
        this.session = new LocalTargetSession(profile, ActivationModules::forType);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: TargetAgent PROFILE (started by beckon over SSH, not by people)");
            System.exit(2);
        }
        // Only protocol lines may reach stdout; anything a library prints goes to stderr.
        PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        dev.beckon.planner.cli.LibraryLogs.configure(System.getenv());
        TargetAgent agent = new TargetAgent(protocol, args[0]);
        agent.send(new AgentProtocol.Hello(AgentProtocol.VERSION, ProcessHandle.current().pid(), DeploymentLock.thisHost()));
        agent.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        // Library threads (D-Bus) must not keep a finished agent alive.
        Runtime.getRuntime().halt(0);
    }

    private void serve(BufferedReader requests) throws IOException {
        for (String line; (line = requests.readLine()) != null; ) {
            AgentProtocol.Request request = AgentProtocol.JSON.readValue(line, AgentProtocol.Request.class);
            if (request.operation().equals("close")) {
                send(AgentProtocol.Response.done());
                releaseAll();
                session.close();
                return;
            }
            send(answer(request));
        }
    }

    private AgentProtocol.Response answer(AgentProtocol.Request request) {
        List<String> warnings = new ArrayList<>();
        try {
            switch (request.operation()) {
                case "lock-target" -> {
                    targetLocks.put(request.stateDirectory(), session.lockTarget(request.target(), Path.of(request.stateDirectory()),
                            request.command(), warnings::add));
                    return new AgentProtocol.Response(null, null, null, null, warnings, null);
                }
                case "release-target" -> {
                    TargetSession.Handle lock = targetLocks.remove(request.stateDirectory());
                    if (lock != null) {
                        lock.close();
                    }
                    return AgentProtocol.Response.done();
                }
                case "remove-stale-lock" -> {
                    return new AgentProtocol.Response(null, null, null,
                            session.removeStaleLock(Path.of(request.stateDirectory())).orElse(null), null, null);
                }
                case "prepare-package" -> {
                    LocalTargetSession.PreparedPackage prepared = session.preparePackage(request.entry());
                    return new AgentProtocol.Response(null, prepared.present(), prepared.made().stream().map(Path::toString).toList(),
                            null, null, null);
                }
                case "make-class-data-archive" -> {
                    // The progress line travels as the one warning, the field for lines to show.
                    return new AgentProtocol.Response(null, null, null, null,
                            session.makeClassDataArchive(request.entry()).map(List::of).orElse(List.of()), null);
                }
                case "put-secrets", "check-secrets" -> {
                    java.util.SortedMap<String, byte[]> values = new java.util.TreeMap<>();
                    for (String pair : request.paths()) {
                        int equals = pair.indexOf('=');
                        values.put(pair.substring(0, equals), java.util.Base64.getDecoder().decode(pair.substring(equals + 1)));
                    }
                    session.putSecrets(request.entry(), request.operation().equals("put-secrets") ? java.util.Optional.of(values)
                            : java.util.Optional.empty());
                }
                case "seal-package" -> {
                    session.sealPackage(request.entry());
                    return AgentProtocol.Response.done();
                }
                case "remove-from-store" -> session.removeFromStore(Path.of(request.stateDirectory()),
                        request.paths().stream().map(Path::of).toList());
                case "render" -> {
                    List<String> files = new ArrayList<>();
                    session.render(request.entry()).forEach((name, content) -> {
                        files.add(name);
                        files.add(content);
                    });
                    return new AgentProtocol.Response(null, null, files, null, null, null);
                }
                case "protect-store-entries" -> session.protectStoreEntries(Path.of(request.stateDirectory()),
                        new java.util.TreeSet<>(request.paths()));
                case "release-store-entries" -> session.releaseStoreEntries(Path.of(request.stateDirectory()));
                case "add-store-roots" -> session.addStoreRoots(Path.of(request.stateDirectory()), new java.util.TreeSet<>(request.paths()));
                case "collect-store" -> {
                    return new AgentProtocol.Response(null, null, collectStore(request), null, null, null);
                }
                case "lock" -> session.lock(request.entry());
                case "unlock" -> session.unlock(request.entry());
                case "install" -> session.install(request.entries());
                case "start-together" -> session.startTogether(request.entries());
                case "activate" -> session.activate(request.entry());
                case "deactivate" -> session.deactivate(request.entry());
                case "query" -> {
                    if (request.entries() != null) {
                        return AgentProtocol.Response.ofStatuses(List.copyOf(session.queryAll(request.entries()).values()));
                    }
                    return new AgentProtocol.Response(session.query(request.entry()), null, null, null, null, null);
                }
                case "logs" -> {
                    InstanceLog log = session.log(request.entry(), request.lines() == null ? 20 : request.lines(),
                            java.util.Optional.ofNullable(request.position()));
                    return new AgentProtocol.Response(null, null, null, null, null, null, log, null);
                }
                case "flush" -> session.flush();
                case "arm-confirm" -> ConfirmWatchdog.arm(profile, Path.of(request.stateDirectory()), request.paths().get(0),
                        request.entries(), request.previous(), request.timeoutMillis());
                case "confirm-outcome" -> {
                    return new AgentProtocol.Response(null, null,
                            ConfirmWatchdog.outcome(Path.of(request.stateDirectory()), request.paths().get(0)), null, null, null);
                }
                case "knobs" -> {
                    List<String> lines = new ArrayList<>();
                    session.knobs(request.entry()).forEach((name, value) -> lines.add(name + "=" + value));
                    return new AgentProtocol.Response(null, null, lines, null, null, null);
                }
                case "set-knob" -> session.setKnob(request.entry(), request.paths().get(0), request.paths().get(1));
                case "take-snapshot" -> {
                    return AgentProtocol.Response.of(List.of(session.takeSnapshot(request.entry())));
                }
                case "list-snapshots" -> {
                    return AgentProtocol.Response.of(session.snapshots(request.entry()));
                }
                case "record-deployed" -> session.recordDeployed(Path.of(request.stateDirectory()), new dev.beckon.planner.target.DeployedRecord(
                        Integer.parseInt(request.paths().get(0)), request.paths().get(1).getBytes(StandardCharsets.UTF_8)));
                case "read-deployed" -> {
                    return new AgentProtocol.Response(null, null, session.deployed(Path.of(request.stateDirectory()))
                            .map(d -> List.of(String.valueOf(d.generation()), new String(d.manifest(), StandardCharsets.UTF_8)))
                            .orElse(List.of()), null, null, null);
                }
                case "restore-snapshot" -> session.restoreSnapshot(request.entry(), request.paths().get(0));
                case "snapshot-path" -> {
                    // Checked to be a regular file of the instance's snapshots (Snapshots.file), never a link.
                    Path file = session.fetchSnapshot(request.entry(), request.paths().get(0), null);
                    return new AgentProtocol.Response(null, null, List.of(file.toString()), null, null, null);
                }
                case "prepare-incoming-snapshot" -> {
                    Path incoming = dev.beckon.planner.target.ServiceStates.incoming(profile, request.entry(), request.paths().get(0));
                    // What an earlier move left half-way goes: the copy that follows would leave an existing file be.
                    Files.deleteIfExists(incoming);
                    SafeDirectories.ensure(incoming.getParent());
                    return new AgentProtocol.Response(null, null, List.of(incoming.toString()), null, null, null);
                }
                case "receive-snapshot" -> {
                    Path incoming = dev.beckon.planner.target.ServiceStates.incoming(profile, request.entry(), request.paths().get(0));
                    try {
                        session.receiveSnapshot(request.entry(), incoming, request.paths().get(0));
                    } finally {
                        Files.deleteIfExists(incoming);
                    }
                }
                default -> {
                    return failure("planning", "agent", "unknown operation " + request.operation(), List.of());
                }
            }
            return AgentProtocol.Response.done();
        } catch (ActivationException e) {
            String prefix = e.instance() + ": ";
            String message = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            return failure("activation", e.instance(), message, e.logTail());
        } catch (DeploymentLock.LockedException e) {
            return failure("locked", request.target(), e.getMessage(), List.of());
        } catch (PlanningException | IOException | RuntimeException e) {
            return failure("planning", request.target() == null ? "agent" : request.target(), String.valueOf(e.getMessage()), List.of());
        }
    }

    /** {@code collect-store}: the names given split into kept and dropped, and what went, as {@code BYTES NAME} lines. */
    private List<String> collectStore(AgentProtocol.Request request) throws PlanningException {
        java.util.SortedSet<String> kept = new java.util.TreeSet<>();
        java.util.SortedSet<String> dropped = new java.util.TreeSet<>();
        int keepSnapshots = -1;
        for (String name : request.paths()) {
            if (name.startsWith(AgentProtocol.KEEP_SNAPSHOTS) && name.substring(AgentProtocol.KEEP_SNAPSHOTS.length()).matches("[0-9]{1,9}")) {
                keepSnapshots = Integer.parseInt(name.substring(AgentProtocol.KEEP_SNAPSHOTS.length()));
            } else if (name.startsWith(AgentProtocol.KEPT)) {
                kept.add(name.substring(AgentProtocol.KEPT.length()));
            } else if (name.startsWith(AgentProtocol.DROPPED)) {
                dropped.add(name.substring(AgentProtocol.DROPPED.length()));
            } else {
                throw new PlanningException("collect-store: " + dev.beckon.models.Messages.quote(name) + " is neither kept nor dropped");
            }
        }
        if (keepSnapshots < 0) {
            throw new PlanningException("collect-store: how many snapshots to keep is not said");
        }
        if (!List.of(AgentProtocol.DRY_RUN, AgentProtocol.COLLECT).contains(request.command())) {
            throw new PlanningException("collect-store: " + dev.beckon.models.Messages.quote(String.valueOf(request.command()))
                    + " is neither " + AgentProtocol.DRY_RUN + " nor " + AgentProtocol.COLLECT);
        }
        List<String> removed = new ArrayList<>();
        for (dev.beckon.planner.store.GarbageCollector.StoreEntry entry : session.collectStore(Path.of(request.stateDirectory()), kept,
                dropped, keepSnapshots, request.command().equals(AgentProtocol.DRY_RUN))) {
            removed.add(entry.bytes() + " " + entry.name());
        }
        return removed;
    }

    private static AgentProtocol.Response failure(String kind, String instance, String message, List<String> logTail) {
        return new AgentProtocol.Response(null, null, null, null, null, new AgentProtocol.Failure(kind, instance, message, logTail));
    }

    private void releaseAll() {
        for (TargetSession.Handle lock : targetLocks.values()) {
            try {
                lock.close();
            } catch (PlanningException e) {
                System.err.println("beckon agent: " + e.getMessage());
            }
        }
        targetLocks.clear();
    }

    private void send(Object message) throws IOException {
        protocol.println(AgentProtocol.JSON.writeValueAsString(message));
        protocol.flush();
    }
}
