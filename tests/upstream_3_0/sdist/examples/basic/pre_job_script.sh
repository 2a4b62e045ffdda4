echo "Executed pre job script"
