from gongjian_evaluation.app import main

main()
