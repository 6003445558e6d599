from gongjian_activities.app import main

main()
