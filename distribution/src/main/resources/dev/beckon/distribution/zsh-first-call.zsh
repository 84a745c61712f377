
# The first completion of beckon, which loaded this file, completes through the functions it just defined.
_bash_complete -F _beckon_complete -o default
