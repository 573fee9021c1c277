# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ecsctl_global_optspecs
    string join \n state= state-dir= color= h/help V/version
end

function __fish_ecsctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ecsctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ecsctl_using_subcommand
    set -l cmd (__fish_ecsctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ecsctl -n "__fish_ecsctl_needs_command" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_needs_command" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_needs_command" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "validate" -d 'Parse and check manifests; reads no state and no Docker'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "plan" -d 'Show what applying the manifests would change'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "diff" -d 'Like plan, as a diff of each changed object'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "apply" -d 'Apply manifests (or a saved plan) to the state'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "delete" -d 'Delete a service (drained first), or the objects of manifests'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "deploy" -d 'Deploy a pipeline\'s images (imagedefinitions.json, imageDetail.json) to a service'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "get" -d 'List clusters, hosts, task definitions, services or tasks'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "describe" -d 'Show one object in detail'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "reconcile" -d 'Converge the hosts to the state, then exit'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "logs" -d 'Logs of every task of a service (or of one task), merged, prefixed'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "exec" -d 'Run a command in a task\'s container'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "port" -d 'Where a service\'s (or task\'s) published ports are reached: ADDRESS:PORT per task'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "events" -d 'ECS-style service events'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "run-task" -d 'Run one-off tasks'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "task" -d 'Protect a service\'s task from scale-in, or end its protection'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "scale" -d 'Change a service\'s desired count (recorded; the next plan shows the drift)'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "rollback" -d 'Return a service to an earlier revision (recorded; the next plan shows the drift)'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "deployment" -d 'A deployment\'s stage and outcome; continue or roll back a blue/green, linear or canary one'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "top" -d 'CPU and memory of running tasks'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "drain" -d 'Set a host to DRAINING: its tasks are started elsewhere, then stopped'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "undrain" -d 'Set a DRAINING host back to ACTIVE'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "watch" -d 'Keep every host converged; apply manifest changes as files change (or as a Git ref moves)'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "status" -d 'Which Git commit the state holds (`watch --git`), and whether it is in sync'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "serve" -d 'Serve the Amazon ECS API (AWS JSON 1.1) for the aws CLI, SDKs and Terraform'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "state" -d 'Move the state to another store (a directory, PostgreSQL)'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "schema" -d 'Print the JSON Schema of manifests (for editors: yaml-language-server)'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "completion" -d 'Print shell completions'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "man" -d 'Print the man page (roff) of ecsctl, or of one command'
complete -c ecsctl -n "__fish_ecsctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -s f -l filename -d 'Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -s f -l filename -d 'Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -s o -l output -d 'Output format (`json` is the stable, documented form for scripts)' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l out -d 'Save the plan for `ecsctl apply FILE`' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l prune -d 'Delete objects that are in the state but not in the manifests'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l detailed-exitcode -d 'Exit 0 when there are no changes, 2 when there are, 1 on error'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -l refresh -d 'Also read the hosts and show drift: what was changed on them by hand'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand plan" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -s f -l filename -d 'Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l prune -d 'Include deletions of objects missing from the manifests'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l detailed-exitcode -d 'Exit 0 when there are no changes, 2 when there are, 1 on error'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -l live -d 'Also read the hosts and show drift: what was changed on them by hand'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand diff" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -s f -l filename -d 'Manifest files or directories (recursive: *.yaml, *.yml, *.json); `-` reads stdin' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l lock-timeout -d 'How long to wait for the state lock (0: fail at once, naming its holder)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l wait -d 'How long to wait for the services to be steady' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l prune -d 'Delete objects that are in the state but not in the manifests'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l auto-approve -d 'Apply without asking for confirmation'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l no-wait -d 'Return once the state is written and the first round of actions is started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l no-converge -d 'Only record the state: a running `watch` (or a later `reconcile`) converges the hosts'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand apply" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -s f -l filename -d 'Delete the objects these manifests define' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l auto-approve -d 'Delete without asking for confirmation'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -s f -l filename -d 'The pipeline\'s imagedefinitions.json or imageDetail.json' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -s c -l container -d 'With imageDetail.json: the container that gets the image (default: the first essential)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l auto-approve -d 'Deploy without asking for confirmation'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deploy" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l cluster -d 'Only this cluster' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l service -d 'Only the tasks of this service (with `get tasks`)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l desired-status -d 'Only tasks with this desired status (with `get tasks`; default: both, RUNNING first)' -r -f -a "RUNNING\t''
STOPPED\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand get" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -l cluster -d 'The cluster of a service (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -s o -l output -d 'Output format (`table` and `wide` print the human view)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand describe" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l cluster -d 'Only this cluster (default: every cluster in the state)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l wait -d 'How long to wait for the services to be steady (0: one round of actions)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand reconcile" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l since -d 'Only lines newer than this (10m, 1h)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l tail -d 'Only the last N lines of each container' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -s c -l container -d 'Only this container of each task' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -s f -l follow -d 'Follow new lines, and new tasks as they start, until Ctrl-C'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -l timestamps -d 'Show each line\'s time'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand logs" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -s c -l container -d 'The container (default: the task\'s first essential container)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -l task-index -d 'With service/NAME: the N-th running task (oldest first, from 0)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -s i -l interactive -d 'Keep stdin open'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -s t -l tty -d 'Allocate a terminal'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand exec" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -l container-port -d 'Only this container port' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -s o -l output -d 'Output format (`json`: a list with task, host and container)' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand port" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -l cluster -d 'Only this cluster' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -l since -d 'Only events newer than this (10m, 1h)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -s o -l output -d 'Output format (`json`: a list; with -f, one object per line)' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -s f -l follow -d 'Print new events as they are recorded'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand events" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l cluster -d 'The cluster to run in' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l count -d 'How many tasks' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l timeout -d 'How long `--wait` waits' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l started-by -d 'Recorded as who started the tasks' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l container -d 'The container the overrides apply to (default: the first essential one)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l override-command -d 'Run this command instead (a shell-like string; or give it after `--`)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l env -d 'Add or replace an environment variable of that container' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l placement-constraint -d 'Where the tasks may run, as `aws ecs run-task --placement-constraints`: a memberOf expression (`attribute:zone == a`), `type=memberOf,expression=EXPR` or `type=distinctInstance` (repeatable)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l capacity-provider-strategy -d 'Which capacity providers the tasks go to, as `aws ecs run-task --capacity-provider-strategy`: `capacityProvider=NAME[,base=N][,weight=N]` (repeatable, in order); without it, the cluster\'s `defaultCapacityProviderStrategy`' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l launch-type -d 'As `aws ecs run-task --launch-type`: FARGATE runs on the cluster\'s FARGATE capacity provider, each task in its own network namespace and bounded as a whole by its task cpu and memory; EC2 on any host' -r -f -a "EC2\t''
FARGATE\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -l wait -d 'Stream the logs and wait for the tasks to stop; exit with the essential container\'s code'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand run-task" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -f -a "protect" -d 'Protect a service\'s task from scale-in; deployments wait for it (ECS\'s UpdateTaskProtection)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -f -a "unprotect" -d 'End a task\'s protection'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and not __fish_seen_subcommand_from protect unprotect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -l expires-in -d 'How long the protection lasts (1m to 48h; ECS\'s default is 2h)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -l cluster -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -s o -l output -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from protect" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -l cluster -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -s o -l output -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from unprotect" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "protect" -d 'Protect a service\'s task from scale-in; deployments wait for it (ECS\'s UpdateTaskProtection)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "unprotect" -d 'End a task\'s protection'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand scale" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l to -d 'The revision to return to (default: the last deployment that completed before this one)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand rollback" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -f -a "status" -d 'The current deployment: strategy, lifecycle stage, production traffic, outcome'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -f -a "continue" -d 'Let a deployment paused by a PAUSE lifecycle hook go on'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -f -a "rollback" -d 'Fail the deployment in progress and return to the last completed one'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and not __fish_seen_subcommand_from status continue rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -s o -l output -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from continue" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from rollback" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from help" -f -a "status" -d 'The current deployment: strategy, lifecycle stage, production traffic, outcome'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from help" -f -a "continue" -d 'Let a deployment paused by a PAUSE lifecycle hook go on'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Fail the deployment in progress and return to the last completed one'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand deployment; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -l cluster -d 'Only this cluster' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -l service -d 'Only the tasks of this service' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand top" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand drain" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l wait -d 'How long to wait for the change to converge (services steady, or drained and gone)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l lock-timeout -d 'How long to wait for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l cluster -d 'The cluster (needed when the name exists in several)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l no-wait -d 'Return once the change is recorded and the first actions are started'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand undrain" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -s f -l filename -d 'Manifest files or directories to apply now and whenever they change' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l cluster -d 'Only this cluster (default: every cluster in the state)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l lease-timeout -d 'How long to wait for another reconciler\'s lease (0: exit at once, naming its holder)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l metrics -d 'Serve Prometheus metrics on ADDR (`http://ADDR/metrics`)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l log-format -d 'How the watch logs: text lines, or one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l git -d 'Follow a Git repository (URL or path) instead of files: fetch it every --interval and apply the manifests of each new commit' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l ref -d 'The branch, tag or commit to follow (with --git)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l path -d 'The directory of manifests in the repository (with --git)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l interval -d 'How often to fetch (with --git)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l webhook-listen -d 'Listen for push webhooks (GitHub, Gitea, GitLab) and fetch at once on a signed one' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l webhook-secret-file -d 'The webhook secret, read from this file (or from $ECSCTL_WEBHOOK_SECRET)' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l prune -d 'Delete objects that are in the state but not in the manifests'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand watch" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l listen -d 'Address to listen on; a non-loopback address needs --credentials' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l credentials -d 'File of `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines (mode 0600): requests must be signed (AWS Signature Version 4) with one of them' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l account-id -d 'The account id in ARNs' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l lock-timeout -d 'How long a write waits for the state lock' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l resync -d 'Look at every host at least this often, events or not' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l host-grace -d 'A host that does not answer this long is UNREACHABLE: its tasks are started elsewhere' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l task-retention -d 'How long stopped tasks stay visible before their containers are removed' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l max-stopped-tasks -d 'At most this many stopped tasks of each service are kept (within the retention): a crash loop must not fill the host with dead containers' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l no-reconcile -d 'Only record what the API asks for; leave running the tasks to `ecsctl watch`'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -l no-self-heal -d 'Report drift (containers removed, stopped or changed by hand) as events without correcting it'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Copy the state and its runtime records to another store (a directory or postgres://…)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l to -d 'Where to: a directory, or a PostgreSQL database (`postgres://user@host/db`)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l lock-timeout -d 'How long to wait for either state\'s lock (0: fail at once, naming its holder)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -l force -d 'Replace a target that holds another state (or a newer serial of this one)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy the state and its runtime records to another store (a directory or postgres://…)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -l kind -d 'Only this kind\'s manifests (Cluster, TaskDefinition, Service, TargetGroup, LoadBalancer, ScheduledTask, Alarm, ScalableTarget, ScalingPolicy)' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -s o -l output -d 'Output format' -r -f -a "json\t''
yaml\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand schema" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand completion" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand completion" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand completion" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand completion" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand completion" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand man" -l state -d 'Where the state is: a directory, or a PostgreSQL database (`postgres://user@host/db`) shared by several machines [default: $ECSCTL_STATE, else the state directory]' -r
complete -c ecsctl -n "__fish_ecsctl_using_subcommand man" -l state-dir -d 'The state directory [default: $ECSCTL_STATE_DIR, else the user\'s data directory]' -r -F
complete -c ecsctl -n "__fish_ecsctl_using_subcommand man" -l color -d 'When to use colours' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ecsctl -n "__fish_ecsctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "validate" -d 'Parse and check manifests; reads no state and no Docker'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "plan" -d 'Show what applying the manifests would change'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "diff" -d 'Like plan, as a diff of each changed object'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "apply" -d 'Apply manifests (or a saved plan) to the state'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "delete" -d 'Delete a service (drained first), or the objects of manifests'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "deploy" -d 'Deploy a pipeline\'s images (imagedefinitions.json, imageDetail.json) to a service'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "get" -d 'List clusters, hosts, task definitions, services or tasks'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "describe" -d 'Show one object in detail'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "reconcile" -d 'Converge the hosts to the state, then exit'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "logs" -d 'Logs of every task of a service (or of one task), merged, prefixed'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "exec" -d 'Run a command in a task\'s container'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "port" -d 'Where a service\'s (or task\'s) published ports are reached: ADDRESS:PORT per task'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "events" -d 'ECS-style service events'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "run-task" -d 'Run one-off tasks'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "task" -d 'Protect a service\'s task from scale-in, or end its protection'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "scale" -d 'Change a service\'s desired count (recorded; the next plan shows the drift)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "rollback" -d 'Return a service to an earlier revision (recorded; the next plan shows the drift)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "deployment" -d 'A deployment\'s stage and outcome; continue or roll back a blue/green, linear or canary one'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "top" -d 'CPU and memory of running tasks'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "drain" -d 'Set a host to DRAINING: its tasks are started elsewhere, then stopped'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "undrain" -d 'Set a DRAINING host back to ACTIVE'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "watch" -d 'Keep every host converged; apply manifest changes as files change (or as a Git ref moves)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "status" -d 'Which Git commit the state holds (`watch --git`), and whether it is in sync'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "serve" -d 'Serve the Amazon ECS API (AWS JSON 1.1) for the aws CLI, SDKs and Terraform'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "state" -d 'Move the state to another store (a directory, PostgreSQL)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "schema" -d 'Print the JSON Schema of manifests (for editors: yaml-language-server)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "completion" -d 'Print shell completions'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "man" -d 'Print the man page (roff) of ecsctl, or of one command'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan diff apply delete deploy get describe reconcile logs exec port events run-task task scale rollback deployment top drain undrain watch status serve state schema completion man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "protect" -d 'Protect a service\'s task from scale-in; deployments wait for it (ECS\'s UpdateTaskProtection)'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "unprotect" -d 'End a task\'s protection'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from deployment" -f -a "status" -d 'The current deployment: strategy, lifecycle stage, production traffic, outcome'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from deployment" -f -a "continue" -d 'Let a deployment paused by a PAUSE lifecycle hook go on'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from deployment" -f -a "rollback" -d 'Fail the deployment in progress and return to the last completed one'
complete -c ecsctl -n "__fish_ecsctl_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "migrate" -d 'Copy the state and its runtime records to another store (a directory or postgres://…)'
