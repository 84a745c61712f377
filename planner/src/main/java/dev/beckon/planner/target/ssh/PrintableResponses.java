package dev.beckon.planner.target.ssh;

import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.models.Messages;
import java.util.List;

/** What an agent answers, with every text made printable before it can reach a person. */
final class PrintableResponses {
    private PrintableResponses() {}

    /**
     * The response with every text a target sent made printable, before any of it can reach a terminal: a target
     * must not be able to forge a line of beckon's output, or move the cursor.
     */
    static AgentProtocol.Response of(AgentProtocol.Response response) {
        InstanceLog log = response.log();
        if (log != null) {
            log = new InstanceLog(printable(log.lines()), printable(log.position()), printable(log.note()));
        }
        AgentProtocol.Failure error = response.error();
        if (error != null) {
            error = new AgentProtocol.Failure(error.kind(), printable(error.instance()), printable(error.message()),
                    error.logTail() == null ? null : printable(error.logTail()));
        }
        List<InstanceStatus> statuses = response.statuses() == null ? null
                : response.statuses().stream().map(PrintableResponses::printable).toList();
        return new AgentProtocol.Response(printable(response.status()), response.present(), response.paths(),
                printable(response.holder()), response.warnings() == null ? null : printable(response.warnings()), error, log,
                response.snapshots(), statuses);
    }

    private static InstanceStatus printable(InstanceStatus status) {
        return status == null ? null : new InstanceStatus(status.presence(), status.activity(),
                status.drift() == null ? List.of() : printable(status.drift()), status.detail() == null ? "" : printable(status.detail()),
                printable(status.log()));
    }

    static String text(String text) {
        return printable(text);
    }

    static List<String> lines(List<String> texts) {
        return printable(texts);
    }

    private static String printable(String text) {
        return text == null ? null : Messages.printable(text);
    }

    private static List<String> printable(List<String> texts) {
        return texts.stream().map(PrintableResponses::printable).toList();
    }
}
